import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable, pipeline } from 'node:stream';
import { type ZlibOptions, constants as zlibConstants, createGunzip } from 'node:zlib';
import { fromSystemError, invalid, isStrataError, unsupported } from '../errors.js';
import type { Compression } from '../oci/mediatypes.js';
import type { FileRange } from '../transports/types.js';

/** What the magic bytes say; bzip2 and xz are recognised only to be refused clearly. */
export type SniffedCompression = Compression | 'bzip2' | 'xz';

/** Bytes needed to tell every format apart (xz has the longest magic). */
export const SNIFF_BYTES = 6;

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** Docker's detection (go-archive compression_detect.go): magic bytes only, media types ignored. */
export function sniffCompression(firstBytes: Uint8Array): SniffedCompression {
  if (startsWith(firstBytes, [0x1f, 0x8b, 0x08])) return 'gzip';
  if (startsWith(firstBytes, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  // A zstd skippable frame: 0x184D2A5? little-endian.
  if (
    firstBytes.length >= 4 &&
    ((firstBytes[0] as number) & 0xf0) === 0x50 &&
    startsWith(firstBytes.subarray(1), [0x2a, 0x4d, 0x18])
  ) {
    return 'zstd';
  }
  if (startsWith(firstBytes, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (startsWith(firstBytes, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

const LABEL: Record<SniffedCompression, string> = {
  none: 'uncompressed',
  gzip: 'gzip',
  zstd: 'zstd',
  bzip2: 'bzip2',
  xz: 'xz',
};

/**
 * Read the first `count` bytes of a stream and hand back a stream that still yields every byte.
 * Backpressure is kept: the rest is pulled from the original only as it is consumed.
 */
export async function peekStream(
  stream: Readable,
  count: number,
): Promise<{ head: Buffer; stream: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < count) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const first = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first;
      while (!done) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { head: first.subarray(0, count), stream: ownedStream(replay(), stream) };
}

/**
 * A byte stream over a generator that releases `sources` when it closes: a generator destroyed
 * before its first read never runs its cleanup, so an unread file would otherwise stay open.
 */
function ownedStream(generator: AsyncGenerator<Buffer>, ...sources: Readable[]): Readable {
  const out = Readable.from(generator, { objectMode: false });
  out.once('close', () => {
    for (const s of sources) if (!s.destroyed) s.destroy();
  });
  return out;
}

/** Refuse formats strata does not read, and bytes that contradict what the source declared. */
export function checkSniffed(
  sniffed: SniffedCompression,
  declared: Compression | undefined,
  what: string,
): Compression {
  if (sniffed === 'bzip2' || sniffed === 'xz') {
    throw unsupported(
      `${what} is ${sniffed}-compressed, which strata does not read`,
      'recompress the layer with gzip or zstd',
    );
  }
  if (declared !== undefined && sniffed !== declared) {
    throw invalid(`${what} is declared ${LABEL[declared]} but its bytes are ${LABEL[sniffed]}`);
  }
  return sniffed;
}

/**
 * Check a stored blob's magic bytes against its declared compression without decompressing it.
 * Resolves to a stream of the same bytes.
 */
export async function checkCompression(
  stream: Readable,
  declared: Compression,
  what: string,
): Promise<Readable> {
  const peeked = await peekStream(stream, SNIFF_BYTES);
  try {
    checkSniffed(sniffCompression(peeked.head), declared, what);
  } catch (err) {
    peeked.stream.destroy();
    throw err;
  }
  return peeked.stream;
}

/**
 * The uncompressed tar of a stored layer blob. The first bytes are checked against `declared`
 * ('invalid' on a mismatch, 'unsupported' for bzip2/xz); errors inside the compressed data surface
 * as 'invalid' errors naming `what`; errors of the source stream (digest mismatches) pass unchanged.
 */
export async function decompress(stream: Readable, declared: Compression, what: string): Promise<Readable> {
  const checked = await checkCompression(stream, declared, what);
  if (declared === 'none') return checked;
  if (declared === 'gzip') return gunzipStream(checked, what);
  return zstdDecompressStream(checked, what);
}

/**
 * As `decompress`, for a reader that handles each chunk before it asks for the next and keeps no
 * reference to it (it copies what it keeps): gzip is then inflated into one buffer used again for
 * every chunk, so no chunk is left for the collector. Nothing reads ahead: returning the iterator
 * early closes the source.
 */
export async function decompressTransient(
  stream: Readable,
  declared: Compression,
  what: string,
): Promise<AsyncIterable<Buffer>> {
  if (declared !== 'gzip') return decompress(stream, declared, what);
  const checked = await checkCompression(stream, declared, what);
  const inflater = ReusingInflater.create();
  return inflater ? guard(inflater.inflateAll(checked), what, 'gzip') : gunzipStream(checked, what);
}

/** Bytes read from a file at a time by `decompressFileSync`, into one buffer. */
const FILE_READ = 1 << 20;

/** Whether `decompressFileSync` can take a blob of this compression here (gzip needs zlib's handle). */
export function canDecompressFileSync(declared: Compression): boolean {
  if (declared === 'none') return true;
  if (declared !== 'gzip') return false;
  if (inflaterWorks === undefined) {
    const probe = ReusingInflater.create();
    probe?.close();
    inflaterWorks = probe !== undefined;
  }
  return inflaterWorks;
}

let inflaterWorks: boolean | undefined;

/**
 * The uncompressed bytes of a stored blob in a local file, on this thread, without a stream: read into
 * one buffer and (gzip) inflated into another, each chunk handed to `onChunk`, which must handle it
 * before returning and keep no reference to it. For a thread that does nothing else (a stream worker
 * indexing a local layer): nothing is allocated per chunk. `onRead` hears the stored bytes read so far.
 * Errors as `decompress`'s; only for what `canDecompressFileSync` accepts.
 */
export function decompressFileSync(
  range: FileRange,
  declared: Compression,
  what: string,
  onChunk: (bytes: Buffer) => void,
  onRead?: (storedBytes: number) => void,
): void {
  const inflater = declared === 'gzip' ? ReusingInflater.create() : undefined;
  if (declared !== 'none' && !inflater) throw new Error(`decompressFileSync cannot read ${declared} here`);
  let fd: number;
  try {
    fd = openSync(range.path, 'r');
  } catch (err) {
    inflater?.close();
    throw fromSystemError(err, what);
  }
  const buffer = Buffer.allocUnsafeSlow(FILE_READ);
  const read = (at: number) => {
    try {
      return readSync(fd, buffer, 0, Math.min(FILE_READ, range.length - at), range.offset + at);
    } catch (err) {
      throw fromSystemError(err, what);
    }
  };
  try {
    for (let at = 0; at < range.length; ) {
      const n = read(at);
      if (n === 0) throw invalid(`${what} is truncated: got ${at} of ${range.length} bytes`);
      const chunk = buffer.subarray(0, n);
      if (at === 0) checkSniffed(sniffCompression(chunk.subarray(0, SNIFF_BYTES)), declared, what);
      at += n;
      onRead?.(at);
      if (!inflater) onChunk(chunk);
      else for (const out of inflater.inflate(chunk, zlibConstants.Z_NO_FLUSH)) onChunk(out);
    }
    if (inflater) for (const out of inflater.inflate(Buffer.alloc(0), zlibConstants.Z_FINISH)) onChunk(out);
  } catch (err) {
    throw inflater ? codecError(err, what, 'gzip') : err;
  } finally {
    closeSync(fd);
    inflater?.close();
  }
}

/** zlib's native handle as Node's own synchronous path drives it (lib/zlib.js processChunkSync). */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

/** Output buffer of the reusing inflater. */
const REUSED_OUTPUT = 256 * 1024;

/**
 * Gzip inflated on this thread into one output buffer, used again for every chunk. Node's zlib
 * streams allocate a new buffer per output chunk, and a stream worker's dead 1 MiB chunks, freed only
 * when V8 collects, left 30–45 MiB of malloc arena per worker while scanning the bench image. Drives
 * the handle of a Gunzip object the way Node's synchronous API does; `create` gives undefined where
 * that handle is not there (another Node), and callers then use the stream.
 */
class ReusingInflater {
  private readonly output = Buffer.allocUnsafeSlow(REUSED_OUTPUT);
  private failure?: Error;

  private constructor(
    private readonly gunzip: ReturnType<typeof createGunzip>,
    private readonly handle: ZlibHandle,
    private readonly state: Uint32Array,
  ) {
    handle.onerror = (message, errno, code) => {
      this.failure = Object.assign(new Error(message), { errno, code });
    };
  }

  static create(): ReusingInflater | undefined {
    const gunzip = createGunzip();
    const inner = gunzip as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: unknown };
    const handle = inner._handle;
    if (typeof handle?.writeSync !== 'function' || !(inner._writeState instanceof Uint32Array)) {
      gunzip.close();
      return undefined;
    }
    return new ReusingInflater(gunzip, handle as ZlibHandle, inner._writeState);
  }

  /** Every chunk of the source inflated; each yielded chunk is valid until the next is asked for. */
  async *inflateAll(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of source) yield* this.inflate(chunk, zlibConstants.Z_NO_FLUSH);
      yield* this.inflate(Buffer.alloc(0), zlibConstants.Z_FINISH);
    } finally {
      this.close();
    }
  }

  close(): void {
    this.gunzip.close();
  }

  /** Inflate one input chunk (Z_FINISH: the end); each output is valid until the next is asked for. */
  *inflate(input: Buffer, flush: number): Generator<Buffer> {
    let offset = 0;
    let left = input.length;
    for (;;) {
      this.handle.writeSync(flush, input, offset, left, this.output, 0, this.output.length);
      if (this.failure) throw this.failure;
      const [outLeft, inLeft] = this.state as unknown as [number, number];
      offset += left - inLeft;
      left = inLeft;
      const produced = this.output.length - outLeft;
      if (produced > 0) yield this.output.subarray(0, produced);
      // Room left in the output: zlib took all the input it could.
      if (outLeft !== 0) return;
    }
  }
}

function codecError(err: unknown, what: string, codec: string): Error {
  if (isStrataError(err)) return err;
  const message = (err as Error)?.message ?? String(err);
  if (/unexpected end|ended in middle|unexpected EOF|truncated/i.test(message)) {
    return invalid(`${what} is truncated: its ${codec} data ends early`, err);
  }
  return invalid(`${what} has corrupt ${codec} data: ${message}`, err);
}

/** Rethrow anything but our own errors as an 'invalid' error naming the layer. */
async function* guard(source: AsyncIterable<Buffer>, what: string, codec: string): AsyncGenerator<Buffer> {
  try {
    yield* source;
  } catch (err) {
    throw codecError(err, what, codec);
  }
}

/** Output chunk size for zlib streams. */
export const ZLIB_CHUNK = 1 << 20;

function gunzipStream(source: Readable, what: string): Readable {
  // zlib's default 16 KiB output chunks cost more in per-chunk overhead than in inflating (measured: a
  // 150 MB layer gunzips in 457 ms with 16 KiB chunks, 179 ms with 1 MiB).
  // Room for a few chunks ahead, so inflating (on libuv's pool) overlaps the reader's hashing instead
  // of waiting for it chunk by chunk.
  // (ZlibOptions does not declare the stream options zlib passes on to its Transform.)
  const gunzip = createGunzip({
    chunkSize: ZLIB_CHUNK,
    readableHighWaterMark: 2 * ZLIB_CHUNK,
  } as ZlibOptions);
  // pipeline destroys gunzip with the source's error, so digest mismatches reach the reader.
  pipeline(source, gunzip, () => {});
  return ownedStream(guard(gunzip, what, 'gzip'), gunzip);
}

interface ZstdBinding {
  DCtx: new () => { decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number] };
  dStreamOutSize(): number;
}

let nativeZstd: ZstdBinding | null | undefined;

/** zstd-napi's native binding when it is installed and built, else null. */
function loadNativeZstd(): ZstdBinding | null {
  if (nativeZstd === undefined) {
    try {
      nativeZstd = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
    } catch {
      nativeZstd = null;
    }
  }
  return nativeZstd;
}

export type ZstdBackend = 'zstd-napi' | 'fzstd';

/** Which zstd decoder `decompress` uses here. */
export function zstdBackend(): ZstdBackend {
  return loadNativeZstd() ? 'zstd-napi' : 'fzstd';
}

/** Drive the native decoder one output buffer at a time, so a consumer's pace bounds memory. */
async function* zstdNative(source: AsyncIterable<Buffer>, binding: ZstdBinding): AsyncGenerator<Buffer> {
  const dctx = new binding.DCtx();
  const outSize = binding.dStreamOutSize();
  let inFrame = false;
  for await (const chunk of source) {
    let input: Buffer = chunk;
    for (;;) {
      const out = Buffer.allocUnsafe(outSize);
      const [remaining, produced, consumed] = dctx.decompressStream(out, input);
      input = input.subarray(consumed);
      inFrame = remaining !== 0;
      if (produced > 0) yield out.subarray(0, produced);
      if (input.length === 0 && produced < out.length) break;
    }
  }
  if (inFrame) throw new Error('unexpected end of zstd data');
}

/** fzstd decodes whole blocks per push; small slices keep what one push can emit small. */
const FZSTD_SLICE = 16 * 1024;

async function* zstdPure(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Uint8Array[] = [];
  // The last-resort decoder, loaded only when it is needed.
  const { Decompress: FzstdDecompress } = await import('fzstd');
  const decoder = new FzstdDecompress((data) => {
    if (data.length > 0) out.push(data);
  });
  for await (const chunk of source) {
    for (let i = 0; i < chunk.length; i += FZSTD_SLICE) {
      decoder.push(chunk.subarray(i, i + FZSTD_SLICE));
      while (out.length > 0) yield Buffer.from(out.shift() as Uint8Array);
    }
  }
  decoder.push(new Uint8Array(0), true);
  while (out.length > 0) yield Buffer.from(out.shift() as Uint8Array);
}

/** Decompress a zstd stream with the native decoder when available (or the one asked for). */
export function zstdDecompressStream(
  source: Readable,
  what: string,
  backend: ZstdBackend = zstdBackend(),
): Readable {
  const binding = backend === 'zstd-napi' ? loadNativeZstd() : null;
  if (backend === 'zstd-napi' && binding === null) throw unsupported('zstd-napi is not installed here');
  const decoded = binding ? zstdNative(source, binding) : zstdPure(source);
  return ownedStream(guard(decoded, what, 'zstd'), source);
}
