/**
 * Run as a child process by the store tests:
 *   fill ROOT OCIDIR TAG NAME   load one image, print the layer blobs this process wrote (JSON)
 *   hang ROOT DIGEST            claim a blob, write part of it, then wait to be killed
 */
import { PassThrough } from 'node:stream';
import { Store } from '../../src/store/store.js';
import { fillFromLayout } from './fill.js';

const [mode, root, ...args] = process.argv.slice(2);
const store = await Store.open(root);
if (mode === 'fill') {
  const [ociDir, tag, name] = args as [string, string, string];
  const result = await fillFromLayout(store, ociDir, tag, [name]);
  process.stdout.write(`${JSON.stringify(result.written)}\n`);
} else if (mode === 'hang') {
  const digest = args[0] as string;
  const claim = await store.claimBlob(digest);
  const stream = new PassThrough();
  void store.putBlob({ mediaType: 'application/octet-stream', digest }, stream).catch(() => {});
  // More than the store's 1 MiB write batch, so part of the blob is on disk when the test kills us.
  stream.write(Buffer.alloc(2 << 20, 7), () => process.stdout.write(`writing ${claim.present}\n`));
  setInterval(() => {}, 1000);
}
