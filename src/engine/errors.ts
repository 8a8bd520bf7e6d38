/** Engine failures in words a user can act on: pure mappings from socket errors and error answers. */
import { type ErrorKind, StrataError, isStrataError } from '../errors.js';
import type { EngineEndpoint } from './endpoint.js';

const SOCKET_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  ECONNREFUSED: 'connection refused',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTSOCK: 'not a socket',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'no such host',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the engine',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the engine to answer',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the engine’s answer',
};

/** The first error code on an error or its causes (undici and Node nest them). */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An 'unreachable' error naming the endpoint, or the error itself when it is not a connection failure. */
export function connectionError(err: unknown, endpoint: EngineEndpoint): unknown {
  if (isStrataError(err)) return err;
  const code = errorCode(err);
  const reason = code === undefined ? undefined : SOCKET_REASONS[code];
  if (reason === undefined) return err;
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'run as a user who may use the socket (the docker group), or set DOCKER_HOST'
      : 'is dockerd running? set DOCKER_HOST';
  return new StrataError('unreachable', `cannot reach the Docker Engine at ${endpoint.host}: ${reason}`, {
    hint,
    cause: err,
  });
}

/** The engine's JSON error body is {"message": "…"}; fall back to the raw text. */
export function engineMessage(body: string): string {
  try {
    const json = JSON.parse(body) as { message?: unknown };
    if (typeof json.message === 'string') return json.message;
  } catch {
    // not JSON
  }
  return body.trim().split('\n')[0] ?? '';
}

function kindForStatus(status: number): ErrorKind {
  if (status === 404) return 'not-found';
  if (status === 400) return 'usage';
  if (status === 401 || status === 403) return 'auth';
  // The engine itself failed; there is no closer kind for a local service than an I/O failure.
  return 'io';
}

/** An error answer from the engine, for a request described by `what`. */
export function engineHttpError(status: number, body: string, what: string): StrataError {
  const message = engineMessage(body);
  const detail = message === '' ? `HTTP ${status}` : message;
  return new StrataError(kindForStatus(status), `the Docker Engine refused ${what}: ${detail}`);
}
