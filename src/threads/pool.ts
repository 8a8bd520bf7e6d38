// The main thread's side of the stream workers: a few workers, shared by every job, each job fed
// copies of a layer's stored bytes under a credit window so memory stays flat whichever side is slower.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StrataError } from '../errors.js';
import {
  type DownloadHooks,
  type DownloadOutcome,
  type DownloadSpec,
  downloadBlob,
} from '../registry/blob-download.js';
import type {
  EncodedIndex,
  FileJobSpec,
  FromWorker,
  JobKind,
  JobResults,
  JobSpec,
  SerialError,
  ToWorker,
} from './protocol.js';

/**
 * The layer jobs themselves, for running them in this thread (STRATA_THREADS=0 or no threads): loaded
 * on demand, since the scanning code (80 ms to import) is otherwise only the workers' to load.
 */
const loadJobs = () => import('./jobs.js');

/** An idle worker is stopped after this long. */
const IDLE_MS = 200;

/** Bytes a job may have in flight to its worker before the sender waits (more only costs memory). */
const WINDOW = 3 << 20;

/** A job: write the layer's stored bytes to `input` and end it; `result` settles with the job. */
export interface StreamJob<K extends JobKind> {
  input: Writable;
  result: Promise<JobResults[K]>;
}

interface Pending {
  inflight: number;
  waiting?: () => void;
  /** A file job's progress: stored bytes read so far. */
  onRead?: (bytes: number) => void;
  /** A download's hooks. */
  download?: DownloadHooks;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

function reviveError(error: SerialError): Error {
  return error.kind
    ? new StrataError(error.kind, error.message, { hint: error.hint })
    : new Error(error.message);
}

/**
 * A small young generation: a scan keeps little, and since gzip is inflated into one reused buffer it
 * allocates little either (16 MB had been the compromise while zlib allocated every output chunk). On
 * the 2.9 GB bench image a scan of every layer peaks at 204–212 MB RSS with 2–4 MB, 212 MB with 16 and
 * the collections the worker asks for, 262–285 MB before either.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

/**
 * A scan keeps little (its entries) and lets a lot go, so its old generation stays small; V8 then keeps
 * the heap limit just above it and marks again and again: 60 full collections in a worker indexing the
 * bench image's largest layer, against 30 with room for 32 MB before the first, and 15.2–15.7 s of CPU
 * against 17–18 s. More room holds more garbage in each worker, so the peak of a whole analysis grows
 * (in-process, 64 MB: 3 collections, but +20–30 MB of RSS); 24 MB is the compromise. Resource limits
 * cannot set the starting size; a V8 flag set before a worker starts applies to its heap.
 */
function roomyWorkerHeaps(): void {
  setFlagsFromString('--initial-old-space-size=24');
  // Workers collect their young generation as bytes arrive (worker.ts); gc() exists in isolates made
  // after this flag.
  setFlagsFromString('--expose-gc');
}

type WorkerEntry = 'worker' | 'download-worker';

/** A worker running a compiled module beside this one, or its TypeScript source through tsx. */
function startWorker(entry: WorkerEntry): Worker {
  roomyWorkerHeaps();
  const js = new URL(`./${entry}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { resourceLimits: WORKER_LIMITS });
  const ts = new URL(`./${entry}.ts`, import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, resourceLimits: WORKER_LIMITS });
}

/** Chunks this size or larger go to a worker as they are; smaller ones are gathered up to it. */
const BATCH = 1 << 20;

/**
 * Network reads come in 16–64 KiB; one message each costs more than the copy that gathers them, so small
 * chunks are copied into 1 MiB batches. A large chunk that owns its whole buffer, from a writer that
 * gives its chunks up (`handOver`), is transferred without a copy; anything else is copied (a pooled or
 * shared buffer cannot be transferred).
 */
export class ChunkBatcher {
  private batch?: Buffer;
  private filled = 0;

  constructor(private readonly handOver: boolean) {}

  /** Take a chunk; returns the pieces now ready to transfer, in order. */
  add(chunk: Uint8Array): Uint8Array[] {
    if (chunk.byteLength >= BATCH / 2) {
      const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
      const own = this.handOver && whole ? new Uint8Array(chunk.buffer) : new Uint8Array(chunk);
      return [...this.flush(), own];
    }
    const ready = this.filled + chunk.byteLength > BATCH ? this.flush() : [];
    // Not zero-filled, and not from the shared pool (a pooled buffer cannot be transferred).
    this.batch ??= Buffer.allocUnsafeSlow(BATCH);
    this.batch.set(chunk, this.filled);
    this.filled += chunk.byteLength;
    return ready;
  }

  /** Whatever is gathered, as one piece (none when empty). */
  flush(): Uint8Array[] {
    if (!this.batch || this.filled === 0) return [];
    const piece = this.batch.subarray(0, this.filled);
    this.batch = undefined;
    this.filled = 0;
    return [piece];
  }
}

class StreamWorker {
  private readonly worker: Worker;
  private readonly jobs = new Map<number, Pending>();
  private nextId = 1;
  private idle?: NodeJS.Timeout;

  constructor(
    private readonly onExit: (w: StreamWorker) => void,
    entry: WorkerEntry = 'worker',
    /** Stop if no job comes within this long (a worker started ahead of its jobs). */
    idleMs?: number,
  ) {
    this.worker = startWorker(entry);
    if (idleMs !== undefined) this.idle = setTimeout(() => void this.stop(), idleMs).unref();
    // Idle workers must not keep the process alive; a running job does (see settle).
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => this.receive(message));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Error('a stream worker stopped')));
  }

  get load(): number {
    return this.jobs.size;
  }

  /** A job registered (the worker keeps the process alive until it settles), not yet sent. */
  private begin<T>(onRead?: (bytes: number) => void): { id: number; pending: Pending; result: Promise<T> } {
    const id = this.nextId++;
    let pending!: Pending;
    const result = new Promise<T>((resolve, reject) => {
      pending = { inflight: 0, onRead, resolve: resolve as (r: unknown) => void, reject };
    });
    this.jobs.set(id, pending);
    clearTimeout(this.idle);
    this.worker.ref();
    return { id, pending, result };
  }

  /** A download job: the worker fetches, hashes and writes the blob itself. */
  runDownload(spec: DownloadSpec, hooks: DownloadHooks): Promise<DownloadOutcome> {
    const { id, pending, result } = this.begin<DownloadOutcome>();
    pending.download = hooks;
    const { signal } = hooks;
    const abort = () => this.send({ t: 'abort', id });
    signal?.addEventListener('abort', abort, { once: true });
    this.send({ t: 'download', id, spec });
    return result
      .catch((err: unknown) => {
        // Stopped because something else failed: that failure is the one to tell.
        throw signal?.aborted ? signal.reason : err;
      })
      .finally(() => signal?.removeEventListener('abort', abort));
  }

  /** A file job: the worker reads the stored bytes itself. */
  runFile(spec: FileJobSpec, onRead?: (bytes: number) => void): Promise<EncodedIndex> {
    const { id, result } = this.begin<EncodedIndex>(onRead);
    this.send({ t: 'file', id, spec });
    return result;
  }

  open<K extends JobKind>(spec: JobSpec & { kind: K }, handOver: boolean): StreamJob<K> {
    const { id, pending, result } = this.begin<JobResults[K]>();
    this.send({ t: 'start', id, spec });
    const batcher = new ChunkBatcher(handOver);
    const transfer = (piece: Uint8Array) => {
      pending.inflight += piece.byteLength;
      this.worker.postMessage({ t: 'data', id, chunk: piece } satisfies ToWorker, [
        piece.buffer as ArrayBuffer,
      ]);
    };
    const input = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        for (const piece of batcher.add(chunk)) transfer(piece);
        if (pending.inflight < WINDOW) cb();
        else pending.waiting = () => cb();
      },
      final: (cb) => {
        for (const piece of batcher.flush()) transfer(piece);
        this.send({ t: 'end', id });
        cb();
      },
      destroy: (err, cb) => {
        if (err && this.jobs.has(id)) {
          this.send({ t: 'abort', id });
          this.settle(id)?.reject(err);
        }
        cb(err);
      },
    });
    return { input, result };
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromWorker): void {
    const pending = this.jobs.get(message.id);
    if (!pending) return;
    if (message.t === 'ack') {
      pending.inflight -= message.bytes;
      if (pending.waiting && pending.inflight < WINDOW) {
        const go = pending.waiting;
        pending.waiting = undefined;
        go();
      }
    } else if (message.t === 'read') {
      pending.onRead?.(message.bytes);
    } else if (message.t === 'progress') {
      pending.download?.onProgress?.(message.bytes);
    } else if (message.t === 'request') {
      pending.download?.onRequest?.(message.info);
    } else if (message.t === 'downloaded') {
      this.settle(message.id)?.resolve(message.outcome);
    } else if (message.t === 'done') {
      this.settle(message.id)?.resolve(message.result);
    } else {
      this.settle(message.id)?.reject(reviveError(message.error));
    }
  }

  /** Forget a job; the worker stops keeping the process alive when none is left. */
  private settle(id: number): Pending | undefined {
    const pending = this.jobs.get(id);
    this.jobs.delete(id);
    if (this.jobs.size === 0) {
      this.worker.unref();
      // An idle worker holds its heap: let it go soon (the analysis after a scan needs the memory).
      this.idle = setTimeout(() => void this.stop(), IDLE_MS).unref();
    }
    return pending;
  }

  /** Leave the pool at once (no new job can pick it) and stop the thread. */
  async stop(): Promise<void> {
    clearTimeout(this.idle);
    this.onExit(this);
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const id of [...this.jobs.keys()]) this.settle(id)?.reject(err);
    this.onExit(this);
  }
}

const workers: StreamWorker[] = [];

/** What a worker calls when it stops: leave its list. */
const leaving = (list: StreamWorker[]) => (gone: StreamWorker) => {
  const at = list.indexOf(gone);
  if (at >= 0) list.splice(at, 1);
};
const leave = leaving(workers);

/**
 * Stop every idle worker now rather than after IDLE_MS: for a caller about to need the memory (the
 * analysis after a scan).
 */
export async function stopIdleWorkers(): Promise<void> {
  await Promise.all(workers.filter((w) => w.load === 0).map((w) => w.stop()));
}

/** Workers running now (they stop when idle). */
export function workerCount(): number {
  return workers.length;
}

/** How many workers: one per core, at least one (the main thread keeps reading and writing). */
function poolSize(): number {
  const fromEnv = Number(process.env.STRATA_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 0) return fromEnv;
  return Math.max(1, availableParallelism());
}

/** The least busy worker, starting one while the pool is below its size; undefined without threads. */
function pickWorker(): StreamWorker | undefined {
  const size = poolSize();
  if (size === 0) return undefined;
  const idle = workers.find((w) => w.load === 0);
  if (idle) return idle;
  if (workers.length < size) {
    try {
      const worker = new StreamWorker(leave);
      workers.push(worker);
      return worker;
    } catch {
      // No threads here: run in-process.
    }
  }
  return workers.reduce<StreamWorker | undefined>(
    (best, w) => (!best || w.load < best.load ? w : best),
    undefined,
  );
}

/**
 * Run a layer job on a stream worker (STRATA_THREADS=0: in this thread). The result never becomes an
 * unhandled rejection; callers await it. `handOver`: the writer uses each chunk for nothing else, so
 * chunks that own their buffer are transferred without a copy (they are unusable afterwards).
 */
export function streamJob<K extends JobKind>(
  spec: JobSpec & { kind: K },
  options: { handOver?: boolean } = {},
): StreamJob<K> {
  const worker = pickWorker();
  let job: StreamJob<K>;
  if (worker) job = worker.open(spec, options.handOver === true);
  else {
    const feed = loadJobs().then((jobs) => new jobs.JobFeed(spec));
    const input = new Writable({
      write: (chunk: Buffer, _enc, cb) => void feed.then((f) => f.write(chunk, () => cb())),
      final: (cb) => {
        void feed.then((f) => f.end());
        cb();
      },
      destroy: (err, cb) => {
        if (err) void feed.then((f) => f.abort(err));
        cb(err);
      },
    });
    job = { input, result: feed.then((f) => f.result) };
  }
  // A failed job takes its input down, so whoever feeds it stops instead of waiting for credit.
  job.result.catch((err: unknown) => job.input.destroy(err as Error));
  return job;
}

/** Download workers: each runs one download at a time (see downloadJob), and stops when idle. */
const downloaders: StreamWorker[] = [];

/** More downloads than this at once share workers. */
const MAX_DOWNLOAD_WORKERS = 8;

/** Downloads running on this thread (see downloadJob). */
let downloadsHere = 0;

/** How many downloads may run on this thread at once (tests set 0 to put every one on a worker). */
export const downloadPolicy = { onThisThread: 1 };

/** A prestarted download worker that gets no job stops after this long. */
const PRESTART_IDLE_MS = 10_000;

function addDownloader(idleMs?: number): StreamWorker | undefined {
  if (poolSize() === 0 || downloaders.length >= MAX_DOWNLOAD_WORKERS) return undefined;
  try {
    const worker = new StreamWorker(leaving(downloaders), 'download-worker', idleMs);
    downloaders.push(worker);
    return worker;
  } catch {
    return undefined; // no threads here: downloads run in-process
  }
}

/**
 * Start the download workers `concurrent` downloads will want (one of them runs on this thread) ahead of
 * the downloads (a pull, before it has read the manifest), so that their start-up runs beside the first
 * requests instead of after them.
 */
export function prestartDownloadWorkers(concurrent: number): void {
  const wanted = concurrent - downloadPolicy.onThisThread;
  for (let n = downloaders.length; n < wanted; n++) if (!addDownloader(PRESTART_IDLE_MS)) return;
}

/**
 * Download a blob into a file on a thread of its own: this one for the first, a download worker for each
 * other (STRATA_THREADS=0: all in this thread). A download is a socket, a hash and file writes: each gets
 * its own thread, beyond the stream pool's size, so the system shares the cores among them evenly (two
 * of three downloads on one of two workers took twice as long as the third). The copy's limit on
 * concurrent blobs bounds how many there are.
 */
export function downloadJob(spec: DownloadSpec, hooks: DownloadHooks): Promise<DownloadOutcome> {
  if (downloadsHere < downloadPolicy.onThisThread) {
    // One download at a time runs on this thread, which only waits while blobs move: one worker fewer
    // to start, and the first download begins without waiting for one.
    downloadsHere++;
    return downloadBlob(spec, hooks).finally(() => downloadsHere--);
  }
  const worker =
    downloaders.find((w) => w.load === 0) ??
    addDownloader() ??
    downloaders.reduce<StreamWorker | undefined>(
      (best, w) => (!best || w.load < best.load ? w : best),
      undefined,
    );
  return worker ? worker.runDownload(spec, hooks) : downloadBlob(spec, hooks);
}

/**
 * Measure a layer's stored bytes on a stream worker: decompress, check the diffID, count the unpacked
 * size. With `spec.stored` the worker checks the blob digest too (the stream need not), and a blob that
 * is not its digest is reported as such even when its bytes also fail to decompress. Nothing else may
 * read the stream's chunks: they go to the worker without a copy.
 */
export async function measureOnWorker(
  stored: Readable,
  spec: JobSpec & { kind: 'measure' },
): Promise<JobResults['measure']> {
  const job = streamJob(spec, { handOver: true });
  const [, result] = await Promise.all([pipeline(stored, job.input), job.result]);
  return result;
}

/**
 * Index a layer stored in a local file on a stream worker that reads the file itself (STRATA_THREADS=0:
 * in this thread). `onRead` hears the stored bytes read so far, every few MB.
 */
export function fileJob(spec: FileJobSpec, onRead?: (bytes: number) => void): Promise<EncodedIndex> {
  const worker = pickWorker();
  return worker ? worker.runFile(spec, onRead) : loadJobs().then((jobs) => jobs.indexLayerFile(spec, onRead));
}
