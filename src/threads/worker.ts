// A stream worker: runs layer jobs (src/threads/jobs.ts) on the bytes the main thread sends, so the
// decompression, hashing and scanning run on another core beside the main thread's I/O.
import { PassThrough } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { isStrataError } from '../errors.js';
import { runJob } from './jobs.js';
import type { FromWorker, JobSpec, ToWorker } from './protocol.js';

const port = parentPort!;

const jobs = new Map<number, PassThrough>();
const post = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

function start(id: number, spec: JobSpec): void {
  const input = new PassThrough();
  jobs.set(id, input);
  runJob(input, spec).then(
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
  const input = jobs.get(message.id);
  if (!input) return;
  if (message.t === 'data') {
    const chunk = Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
    input.write(chunk, () => post({ t: 'ack', id: message.id, bytes: chunk.length }));
  } else {
    jobs.delete(message.id);
    if (message.t === 'end') input.end();
    else input.destroy(new Error('aborted'));
  }
});
