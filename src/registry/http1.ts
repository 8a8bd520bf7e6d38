/**
 * An incremental HTTP/1.1 response parser for blob downloads on a raw socket (registry/wire.ts): the
 * status line and headers, then a body delimited by Content-Length, chunked transfer coding or the end
 * of the connection. Pure: bytes in, head and body slices out. Body slices are views of the input,
 * valid only during the callback (the socket reuses its read buffer).
 */
import { StrataError } from '../errors.js';
import type { IncomingHttpHeaders } from './http.js';

export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
}

/** A response head larger than this is refused: no registry sends one. */
export const HEAD_LIMIT = 64 << 10;

const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n');

function malformed(why: string): StrataError {
  return new StrataError('registry', `malformed HTTP response: ${why}`);
}

/** Parse a response head (without its final blank line). */
export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) throw malformed(`status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = headers[name];
    if (had === undefined) headers[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else headers[name] = name === 'set-cookie' ? [had, value] : `${had}, ${value}`;
  }
  return { status: Number(m[1]), headers };
}

type Framing =
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailer'; left: number; line: string }
  | { kind: 'close' }
  | { kind: 'none' };

/** How the body of a response is delimited (RFC 9112 §6.3), for a GET. */
function framingOf(head: ResponseHead): Framing {
  const { status, headers } = head;
  if (status === 204 || status === 304) return { kind: 'none' };
  const te = headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = String(te)
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    if (codings[codings.length - 1] !== 'chunked') return { kind: 'close' };
    if (codings.length > 1) throw malformed(`transfer coding ${String(te)}`);
    return { kind: 'chunked', state: 'size', left: 0, line: '' };
  }
  const cl = headers['content-length'];
  if (cl !== undefined) {
    const values = new Set(
      String(cl)
        .split(',')
        .map((s) => s.trim()),
    );
    const [only] = values;
    if (values.size !== 1 || only === undefined || !/^\d+$/.test(only))
      throw malformed(`Content-Length ${String(cl)}`);
    return { kind: 'length', left: Number(only) };
  }
  return { kind: 'close' };
}

export class ResponseParser {
  /** The final (non-1xx) head, once parsed. */
  head?: ResponseHead;
  /** The body is complete. */
  done = false;
  private pending: Buffer = Buffer.alloc(0);
  private framing?: Framing;

  /** onHead is told the head before any body byte; onBody gets each slice of the body. */
  /** `headRequest`: the answer to a HEAD has no body, whatever its Content-Length says. */
  constructor(
    private readonly onHead: (head: ResponseHead) => void,
    private readonly onBody: (slice: Buffer) => void,
    private readonly headRequest = false,
  ) {}

  /** Feed bytes read from the connection. Throws on a malformed response. */
  push(data: Buffer): void {
    let rest = data;
    while (rest.length > 0 && !this.done) {
      if (this.framing === undefined) rest = this.readHead(rest);
      else rest = this.readBody(rest, this.framing);
    }
  }

  /** The connection ended: whether the response was complete (a close-delimited body ends here). */
  end(): boolean {
    if (this.framing?.kind === 'close') this.done = true;
    return this.done;
  }

  private readHead(data: Buffer): Buffer {
    const joined = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    const at = joined.indexOf(HEAD_END);
    if (at < 0) {
      if (joined.length > HEAD_LIMIT) throw malformed(`head larger than ${HEAD_LIMIT} bytes`);
      this.pending = Buffer.from(joined); // a copy: data is the socket's reused buffer
      return Buffer.alloc(0);
    }
    this.pending = Buffer.alloc(0);
    const head = parseHead(joined.subarray(0, at).toString('latin1'));
    const rest = joined.subarray(at + HEAD_END.length);
    if (head.status >= 100 && head.status < 200) return rest; // informational: the real head follows
    this.head = head;
    this.framing = this.headRequest ? { kind: 'none' } : framingOf(head);
    this.onHead(head);
    if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.framing.left === 0))
      this.done = true;
    return rest;
  }

  private readBody(data: Buffer, f: Framing): Buffer {
    if (f.kind === 'close') {
      this.onBody(data);
      return Buffer.alloc(0);
    }
    if (f.kind === 'length') {
      const take = Math.min(f.left, data.length);
      f.left -= take;
      if (take > 0) this.onBody(data.subarray(0, take));
      if (f.left === 0) this.done = true;
      return data.subarray(take);
    }
    if (f.kind === 'chunked') return this.readChunked(data, f);
    this.done = true;
    return data;
  }

  private readChunked(data: Buffer, f: Extract<Framing, { kind: 'chunked' }>): Buffer {
    if (f.state === 'data') {
      const take = Math.min(f.left, data.length);
      f.left -= take;
      if (take > 0) this.onBody(data.subarray(0, take));
      if (f.left === 0) f.state = 'data-end';
      return data.subarray(take);
    }
    // The other states read lines: a chunk size, the CRLF after a chunk, trailer lines.
    // Lines end at LF (its CR may have come at the end of the previous read).
    const eol = data.indexOf(LF);
    if (eol < 0) {
      f.line += data.toString('latin1');
      if (f.line.length > HEAD_LIMIT) throw malformed('chunk line too long');
      return Buffer.alloc(0);
    }
    let line = f.line + data.subarray(0, eol).toString('latin1');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    f.line = '';
    const rest = data.subarray(eol + 1);
    if (f.state === 'size') {
      const m = /^([0-9a-fA-F]+)(?:;.*)?$/.exec(line.trim());
      if (!m) throw malformed(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
      f.left = Number.parseInt(m[1] as string, 16);
      f.state = f.left === 0 ? 'trailer' : 'data';
    } else if (f.state === 'data-end') {
      if (line !== '') throw malformed('chunk not followed by CRLF');
      f.state = 'size';
    } else if (line === '') {
      this.done = true;
    }
    return rest;
  }
}
