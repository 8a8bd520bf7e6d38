// A stream worker: runs layer jobs (src/threads/jobs.ts) on the bytes the main thread sends, so the
// decompression, hashing and scanning run on another core beside the main thread's I/O.
import { parentPort } from 'node:worker_threads';
import { serialError } from './protocol.js';
import { JobFeed, indexLayerFile } from './jobs.js';
import type { FileJobSpec, FromWorker, JobKind, JobResults, JobSpec, ToWorker } from './protocol.js';

const port = parentPort!;

/**
 * A scan allocates little per chunk now that gzip is inflated into one reused buffer, so V8 seldom
 * collects, and the 1 MiB chunks the main thread sent (allocated there, freed only when this thread
 * collects) piled up in the main thread's malloc arena: 80–120 MiB while scanning the bench image. A
 * young-generation collection every 8 MiB received lets them go (peak RSS of a scan 262–285 → 204–212
 * MB). `gc` is there because the pool exposes it before starting workers.
 */
const COLLECT_EVERY = 8 << 20;
const collect = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
let received = 0;

/** Count bytes received; collect the young generation every COLLECT_EVERY. */
function countReceived(bytes: number): void {
  received += bytes;
  if (collect && received >= COLLECT_EVERY) {
    received = 0;
    collect({ type: 'minor' });
  }
}

const jobs = new Map<number, JobFeed<JobKind>>();
const post = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

function start(id: number, spec: JobSpec): void {
  const feed = new JobFeed(spec);
  jobs.set(id, feed);
  report(id, feed.result);
}

/** Stored bytes between two progress messages of a file job. */
const READ_REPORT = 4 << 20;

/** A file job: read, inflate and index on this thread; progress every READ_REPORT bytes and at the end. */
function startFile(id: number, spec: FileJobSpec): void {
  let reported = 0;
  const onRead = (bytes: number) => {
    if (bytes < spec.file.length && bytes - reported < READ_REPORT) return; // the last always
    reported = bytes;
    post({ t: 'read', id, bytes });
  };
  report(id, indexLayerFile(spec, onRead));
}

/** Post a job's result (its encoded index handed over) or its error. */
function report(id: number, result: Promise<JobResults[JobKind]>): void {
  result.then(
    (result) => {
      const transfer = 'encoded' in result ? [result.encoded.buffer as ArrayBuffer] : undefined;
      post({ t: 'done', id, result }, transfer);
    },
    (err: unknown) => post({ t: 'fail', id, error: serialError(err) }),
  );
}

port.on('message', (message: ToWorker) => {
  if (message.t === 'start') return start(message.id, message.spec);
  if (message.t === 'file') return startFile(message.id, message.spec);
  const feed = jobs.get(message.id);
  if (!feed) return;
  if (message.t === 'data') {
    const chunk = Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
    feed.write(chunk, () => post({ t: 'ack', id: message.id, bytes: chunk.length }));
    countReceived(chunk.length);
  } else {
    jobs.delete(message.id);
    if (message.t === 'end') feed.end();
    else feed.abort();
  }
});
