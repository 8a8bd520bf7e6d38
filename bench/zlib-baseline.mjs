// The analysis bench's yardstick: what Node's own zlib and sha256 need just to decompress and hash the
// given gzip layer blobs, with the same chunk sizes strata uses. Prints JSON {sequentialMs, parallelMs}.
// Plain JavaScript so it runs on node with no loader: node bench/zlib-baseline.mjs BLOB…
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const CHUNK = 1 << 20;

async function decompressAndHash(path) {
  const hash = createHash('sha256');
  await pipeline(
    createReadStream(path, { highWaterMark: CHUNK }),
    createGunzip({ chunkSize: CHUNK, readableHighWaterMark: 4 * CHUNK }),
    new Writable({
      write(chunk, _enc, cb) {
        hash.update(chunk);
        cb();
      },
    }),
  );
  return hash.digest('hex');
}

const blobs = process.argv.slice(2);
let start = performance.now();
for (const blob of blobs) await decompressAndHash(blob);
const sequentialMs = performance.now() - start;
// Two at a time, largest first, as a script that wants both cores' worth of zlib would do.
start = performance.now();
const queue = [...blobs];
await Promise.all(
  [0, 1].map(async () => {
    for (let b = queue.shift(); b; b = queue.shift()) await decompressAndHash(b);
  }),
);
const parallelMs = performance.now() - start;
console.log(JSON.stringify({ sequentialMs, parallelMs }));
