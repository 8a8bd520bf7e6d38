/**
 * Typed errors. Every failure a user can cause or meet maps to one kind, and each kind has its own
 * exit code so scripts can tell "no such image" from "wrong password" from "corrupt data".
 */
export type ErrorKind =
  | 'usage' // bad flags or arguments
  | 'not-found' // unknown repository, tag, image, file or platform
  | 'auth' // missing or wrong credentials, access denied
  | 'unreachable' // connection refused, DNS, TLS, dropped connection after retries
  | 'invalid' // malformed or truncated manifest, config, archive or layout
  | 'digest-mismatch' // bytes do not hash to the digest they were fetched by
  | 'unsupported' // media type, schema version or feature strata refuses
  | 'registry' // any other error answer from a registry
  | 'io'; // local file system errors (permissions, full disk)

export const EXIT_CODES: Record<ErrorKind, number> = {
  usage: 2,
  'not-found': 3,
  auth: 4,
  unreachable: 5,
  invalid: 6,
  'digest-mismatch': 7,
  unsupported: 8,
  registry: 9,
  io: 10,
};

export class StrataError extends Error {
  readonly kind: ErrorKind;
  /** What the user can do about it, printed after the message. */
  readonly hint?: string;

  constructor(kind: ErrorKind, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.kind = kind;
    this.hint = options?.hint;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

export const notFound = (message: string, hint?: string) => new StrataError('not-found', message, { hint });
export const invalid = (message: string, cause?: unknown) => new StrataError('invalid', message, { cause });
export const unsupported = (message: string, hint?: string) =>
  new StrataError('unsupported', message, { hint });

export function isStrataError(err: unknown): err is StrataError {
  return err instanceof StrataError;
}

/** Map a Node system error (ENOENT, EACCES, ENOSPC…) on a local path to a StrataError. */
export function fromSystemError(err: unknown, what: string): StrataError {
  if (isStrataError(err)) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new StrataError('not-found', `${what}: no such file or directory`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new StrataError('io', `${what}: permission denied`, { cause: err });
    case 'ENOSPC':
      return new StrataError('io', `${what}: no space left on device`, { cause: err });
    case 'EISDIR':
      return new StrataError('invalid', `${what}: is a directory`, { cause: err });
    case 'ENOTDIR':
      return new StrataError('invalid', `${what}: not a directory`, { cause: err });
    default:
      return new StrataError('io', `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
