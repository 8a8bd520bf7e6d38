/**
 * One HTTP/1.1 request without a body on a connection of its own: for blob downloads, the body's bytes
 * go straight from the socket's read buffer to the caller (one reused 1 MiB buffer for plain TCP), with
 * none of an HTTP library's per-chunk streams and copies (receiving a 150 MiB blob this way took a
 * quarter of the CPU time undici's took on the bench machine); for the registry's other GETs and HEADs,
 * the answer as a stream (wireResponse), without loading undici (~170 ms of a core before a pull's
 * first request). Redirects, retries and auth are the callers' (blob-download.ts, http.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import { StrataError } from '../errors.js';
import { type ResponseHead, ResponseParser } from './http1.js';
import type { HttpTimeouts } from './http.js';

export interface WireRequest {
  /** GET by default; HEAD, DELETE and POST go without a body too. */
  method?: string;
  url: URL;
  headers: Record<string, string>;
  insecureTls?: boolean;
  timeouts: HttpTimeouts;
  /**
   * Read plain TCP into one reused buffer: body slices are then valid only during onBody. Without it,
   * each slice is a view of a buffer of its own, which the caller may keep.
   */
  reuseBuffer?: boolean;
}

export interface WireExchange {
  /** Settles when the response is over: with its head and whether its body came whole. */
  done: Promise<{ head: ResponseHead; complete: boolean }>;
  /** Drop the connection; `done` rejects with the reason. */
  abort(reason: Error): void;
  /** Stop and go on reading (a consumer's backpressure). */
  pause(): void;
  resume(): void;
}

const READ_BUFFER = 1 << 20;

/** A socket error with a code, so that neterror.ts classifies it like Node's own. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function requestText(req: WireRequest): string {
  const { url } = req;
  const method = req.method ?? 'GET';
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: close'];
  const sized = Object.keys(req.headers).some((name) => name.toLowerCase() === 'content-length');
  if ((method === 'POST' || method === 'PUT') && !sized) lines.push('content-length: 0');
  for (const [name, value] of Object.entries(req.headers)) {
    // A value from elsewhere (a token server's token, a redirect) must not add lines to the request.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value))
      throw new StrataError(
        'registry',
        `refusing to send the header ${JSON.stringify(name)}: invalid characters`,
      );
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Send a request and read its answer: `onHead` is told the head before any body byte; `onBody` gets the
 * body slice by slice. A connection that ends before the body is complete settles with complete: false;
 * a socket error or timeout rejects.
 */
export function wireExchange(
  req: WireRequest,
  onHead: (head: ResponseHead) => void,
  onBody: (slice: Buffer) => void,
): WireExchange {
  const { url, timeouts } = req;
  const request = requestText(req);
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let socket: net.Socket;
  let failure: Error | undefined;
  const parser = new ResponseParser(
    (head) => {
      socket.setTimeout(timeouts.bodyMs);
      onHead(head);
    },
    onBody,
    req.method === 'HEAD',
  );
  const done = new Promise<{ head: ResponseHead; complete: boolean }>((resolve, reject) => {
    const fail = (err: Error) => {
      failure ??= err;
      socket.destroy();
    };
    const take = (bytes: Buffer) => {
      try {
        parser.push(bytes);
        if (parser.done) socket.destroy();
      } catch (err) {
        fail(err as Error);
      }
    };
    if (secure) {
      socket = tls.connect({
        host,
        port,
        servername: net.isIP(host) ? undefined : host,
        rejectUnauthorized: req.insecureTls !== true,
        ALPNProtocols: ['http/1.1'],
      });
      socket.on('data', take);
    } else if (req.reuseBuffer !== true) {
      socket = net.connect({ host, port });
      socket.on('data', take);
    } else {
      const buffer = Buffer.allocUnsafe(READ_BUFFER);
      socket = net.connect({
        host,
        port,
        onread: {
          buffer,
          callback: (n: number) => {
            take(buffer.subarray(0, n));
            return true; // keep reading: the caller's work on each slice is synchronous
          },
        },
      });
    }
    const connectTimer = setTimeout(
      () => fail(codedError(`connect to ${url.host} timed out`, 'ETIMEDOUT')),
      timeouts.connectMs,
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      socket.write(request);
      // Silence while waiting for the head (then between body reads: bodyMs, set when the head came).
      socket.setTimeout(timeouts.headersMs, () => {
        const waiting = parser.head === undefined ? 'the response' : 'more of the response';
        fail(codedError(`timed out waiting for ${waiting}`, 'ETIMEDOUT'));
      });
    });
    socket.on('error', (err) => {
      failure ??= err;
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      const complete = parser.done || parser.end();
      if (failure !== undefined && !parser.done) return reject(failure);
      if (parser.head === undefined)
        return reject(codedError('connection closed before the response', 'ECONNRESET'));
      resolve({ head: parser.head, complete });
    });
  });
  return {
    done,
    abort(reason) {
      failure ??= reason;
      socket.destroy();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/**
 * A request without a body, answered as HttpClient answers (the body a stream, with backpressure).
 * Resolves once the head is in; a body that breaks off fails its stream with a transient error.
 */
export function wireResponse(
  req: WireRequest & { url: URL },
): Promise<{ head: ResponseHead; body: Readable }> {
  return new Promise((resolve, reject) => {
    let exchange: WireExchange | undefined;
    const body = new Readable({
      read: () => exchange?.resume(),
      destroy: (err, cb) => {
        if (!ended) exchange?.abort(err ?? new Error('response body abandoned'));
        cb(err);
      },
    });
    let ended = false;
    let answered = false;
    exchange = wireExchange(
      { ...req, reuseBuffer: false },
      (head) => {
        answered = true;
        resolve({ head, body });
      },
      (slice) => {
        if (!body.push(slice)) exchange?.pause();
      },
    );
    exchange.done.then(
      ({ complete }) => {
        ended = true;
        if (complete) body.push(null);
        else body.destroy(codedError('connection closed before the end of the response', 'ECONNRESET'));
      },
      (err: Error) => {
        ended = true;
        // Before the head, the caller hears it from the promise; after, from the body it is reading.
        if (answered) body.destroy(err);
        else reject(err);
      },
    );
  });
}
