/**
 * One HTTP/1.1 GET on a connection of its own, for blob downloads: the body's bytes go straight from the
 * socket's read buffer to the caller (one reused 1 MiB buffer for plain TCP), with none of an HTTP
 * library's per-chunk streams and copies. Receiving a 150 MiB blob this way took a quarter of the CPU
 * time undici's took on the bench machine. Redirects, retries and auth are the caller's (blob-download).
 */
import net from 'node:net';
import tls from 'node:tls';
import { type ResponseHead, ResponseParser } from './http1.js';
import type { HttpTimeouts } from './http.js';

export interface WireRequest {
  url: URL;
  headers: Record<string, string>;
  insecureTls?: boolean;
  timeouts: HttpTimeouts;
}

export interface WireExchange {
  /** Settles when the response is over: with its head and whether its body came whole. */
  done: Promise<{ head: ResponseHead; complete: boolean }>;
  /** Drop the connection; `done` rejects with the reason. */
  abort(reason: Error): void;
}

const READ_BUFFER = 1 << 20;

/** A socket error with a code, so that neterror.ts classifies it like Node's own. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function requestText(req: WireRequest): string {
  const { url } = req;
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: close'];
  for (const [name, value] of Object.entries(req.headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Send a GET and read its answer: `onHead` is told the head before any body byte; `onBody` gets the body
 * slice by slice, each valid only during the call. A connection that ends before the body is complete
 * settles with complete: false; a socket error or timeout rejects.
 */
export function wireGet(
  req: WireRequest,
  onHead: (head: ResponseHead) => void,
  onBody: (slice: Buffer) => void,
): WireExchange {
  const { url, timeouts } = req;
  const secure = url.protocol === 'https:';
  const port = Number(url.port) || (secure ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let socket: net.Socket;
  let failure: Error | undefined;
  const parser = new ResponseParser((head) => {
    socket.setTimeout(timeouts.bodyMs);
    onHead(head);
  }, onBody);
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
      socket.once('secureConnect', () => socket.write(requestText(req)));
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
      socket.once('connect', () => socket.write(requestText(req)));
    }
    const connectTimer = setTimeout(
      () => fail(codedError(`connect to ${url.host} timed out`, 'ETIMEDOUT')),
      timeouts.connectMs,
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
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
  };
}
