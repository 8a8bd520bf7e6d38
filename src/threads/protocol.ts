// Messages between the main thread and its workers: stream workers (src/threads/worker.ts), where a job
// is a layer's stored bytes, sent in chunks, and download workers (src/threads/download-worker.ts), where
// a job is a blob to fetch into a file. Each answers with the job's result.
import { type ErrorKind, isStrataError } from '../errors.js';
import type { UnpackedSize } from '../layer/unpacked-size.js';
import type { Compression } from '../oci/mediatypes.js';
import type { DownloadOutcome, DownloadSpec } from '../registry/blob-download.js';
import type { RequestInfo } from '../registry/http.js';
import type { FileRange } from '../transports/types.js';

/** What a worker does with a layer's stored bytes: measure them for the layer database, or index them. */
export type JobKind = 'measure' | 'index';

export interface JobSpec {
  kind: JobKind;
  compression: Compression;
  diffID: string;
  what: string;
  /**
   * The blob the stored bytes must be: the worker hashes them as they come (the source need not), and a
   * mismatch is what the job reports, whatever decompressing the wrong bytes ran into first.
   */
  stored?: { digest: string; size?: number };
}

/** An index job whose stored bytes are in a local file: the worker reads them itself, nothing is sent. */
export interface FileJobSpec extends JobSpec {
  kind: 'index';
  file: FileRange;
}

export type ToWorker =
  | { t: 'start'; id: number; spec: JobSpec }
  | { t: 'file'; id: number; spec: FileJobSpec }
  /** A chunk of the stored layer, transferred (the sender gave up its copy). */
  | { t: 'data'; id: number; chunk: Uint8Array }
  | { t: 'end'; id: number }
  /** Download a blob into a file on the worker (registry/blob-download.ts); nothing is sent. */
  | { t: 'download'; id: number; spec: DownloadSpec }
  | { t: 'abort'; id: number };

export interface SerialError {
  kind?: ErrorKind;
  message: string;
  hint?: string;
}

/** An error as it crosses threads: a StrataError keeps its kind and hint. */
export function serialError(err: unknown): SerialError {
  return isStrataError(err)
    ? { kind: err.kind, message: err.message, hint: err.hint }
    : { message: (err as Error)?.message ?? String(err) };
}

/** An index as the cache stores it (encodeLayerIndex), and the tar's member count. */
export interface EncodedIndex {
  encoded: Uint8Array;
  members: number;
  /** The index's unpacked size, readable without decoding it. */
  unpackedSize: number;
}

export interface JobResults {
  measure: UnpackedSize;
  index: EncodedIndex;
}

export type FromWorker =
  /** `bytes` of the job's input were taken in: the sender may send that many more. */
  | { t: 'ack'; id: number; bytes: number }
  /** A file job has read this many stored bytes so far. */
  | { t: 'read'; id: number; bytes: number }
  | { t: 'done'; id: number; result: JobResults[JobKind] }
  /** A download's progress and HTTP exchanges, and its outcome. */
  | { t: 'progress'; id: number; bytes: number }
  | { t: 'request'; id: number; info: RequestInfo }
  | { t: 'downloaded'; id: number; outcome: DownloadOutcome }
  | { t: 'fail'; id: number; error: SerialError };
