// A stream worker: runs layer jobs (src/threads/jobs.ts) on the bytes the main thread sends, so the
// decompression, hashing and scanning run on another core beside the main thread's I/O.
import { parentPort } from 'node:worker_threads';
import { isStrataError } from '../errors.js';
import { JobFeed } from './jobs.js';
import type { FromWorker, JobKind, JobSpec, ToWorker } from './protocol.js';

const port = parentPort!;

const jobs = new Map<number, JobFeed<JobKind>>();
const post = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

function start(id: number, spec: JobSpec): void {
  const feed = new JobFeed(spec);
  jobs.set(id, feed);
  feed.result.then(
    (result) => {
      const transfer = 'encoded' in result ? [result.encoded.buffer as ArrayBuffer] : undefined;
      post({ t: 'done', id, result }, transfer);
    },
    (err: unknown) => {
      const error = isStrataError(err)
        ? { kind: err.kind, message: err.message, hint: err.hint }
        : { message: (err as Error)?.message ?? String(err) };
      post({ t: 'fail', id, error });
    },
  );
}

port.on('message', (message: ToWorker) => {
  if (message.t === 'start') return start(message.id, message.spec);
  const feed = jobs.get(message.id);
  if (!feed) return;
  if (message.t === 'data') {
    const chunk = Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
    feed.write(chunk, () => post({ t: 'ack', id: message.id, bytes: chunk.length }));
  } else {
    jobs.delete(message.id);
    if (message.t === 'end') feed.end();
    else feed.abort();
  }
});
