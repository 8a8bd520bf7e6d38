import { StrataError, isStrataError } from '../errors.js';

/** What went wrong below HTTP, in words a user can act on, and whether trying again may help. */
export interface NetFailure {
  reason: string;
  /** A dropped connection or a timeout: worth another try. Refused, DNS and TLS failures are not. */
  transient: boolean;
}

const TRANSIENT: Record<string, string> = {
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  EAI_AGAIN: 'temporary DNS failure',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response shorter than its Content-Length',
};

const PERMANENT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

/** The first error code found on the error or its causes (undici and Node nest them). */
function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('CERT_') ||
    code.startsWith('UNABLE_TO_') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'EPROTO'
  );
}

/** Classify an error thrown by a request or a response body; undefined when it is not a network error. */
export function classifyNetError(err: unknown): NetFailure | undefined {
  if (isStrataError(err)) return undefined;
  const code = errorCode(err);
  if (code === undefined) return undefined;
  if (code in TRANSIENT) return { reason: TRANSIENT[code]!, transient: true };
  if (code in PERMANENT) return { reason: PERMANENT[code]!, transient: false };
  if (isTlsCode(code)) return { reason: `TLS error: ${(err as Error).message}`, transient: false };
  return undefined;
}

export function isTransientNetError(err: unknown): boolean {
  return classifyNetError(err)?.transient === true;
}

/** An 'unreachable' error naming the host, or the error itself when it is not a network failure. */
export function unreachableError(err: unknown, host: string, what = 'registry'): unknown {
  const failure = classifyNetError(err);
  if (failure === undefined) return err;
  return new StrataError('unreachable', `cannot reach ${what} ${host}: ${failure.reason}`, { cause: err });
}
