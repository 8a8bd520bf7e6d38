import { StrataError } from '../errors.js';

/** One entry of the distribution spec's error body: {"errors":[{code, message, detail}]}. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
}

const NOT_FOUND_CODES = new Set(['MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'BLOB_UNKNOWN', 'NOT_FOUND']);
const DENIED_CODES = new Set(['DENIED', 'UNAUTHORIZED']);

export function parseErrorBody(body: Buffer): RegistryErrorEntry[] {
  try {
    const json = JSON.parse(body.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(json.errors)) return [];
    return json.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ code: String(e.code ?? ''), message: String(e.message ?? '') }));
  } catch {
    return [];
  }
}

/** The registry's own words for the error, or a short form of the status. */
function describe(entries: RegistryErrorEntry[], status: number): string {
  const first = entries[0];
  if (first !== undefined && first.message !== '') return first.message;
  if (first !== undefined && first.code !== '') return first.code.toLowerCase().replace(/_/g, ' ');
  return `HTTP ${status}`;
}

export interface ErrorContext {
  /** Registry host, e.g. 127.0.0.1:5000. */
  host: string;
  /** What was asked for, e.g. 127.0.0.1:5000/app:1 or …/app@sha256:…. */
  what: string;
  /** Whether the failing request carried credentials (turns 401 into "authentication failed"). */
  authenticated?: boolean;
}

/** The StrataError for a registry's non-success answer. */
export function responseError(status: number, body: Buffer, ctx: ErrorContext): StrataError {
  const entries = parseErrorBody(body);
  const code = entries[0]?.code ?? '';
  const message = describe(entries, status);
  if (status === 404 || NOT_FOUND_CODES.has(code)) {
    return new StrataError('not-found', `${entries.length > 0 ? message : 'not found'}: ${ctx.what}`);
  }
  if (status === 401) {
    return ctx.authenticated
      ? new StrataError(
          'auth',
          `authentication failed for ${ctx.host}: the registry refused the credentials (${message})`,
        )
      : new StrataError('auth', `authentication required for ${ctx.host}: ${message}`, {
          hint: `log in with docker login ${ctx.host}, or pass --username and --password`,
        });
  }
  if (status === 403 || DENIED_CODES.has(code)) {
    return new StrataError('auth', `access denied to ${ctx.what}: ${message}`);
  }
  if (status === 429) {
    return new StrataError(
      'registry',
      `registry ${ctx.host} keeps answering 429 too many requests for ${ctx.what}`,
    );
  }
  const said = entries.length > 0 ? `: ${code ? `${code}: ` : ''}${message}` : '';
  return new StrataError('registry', `registry ${ctx.host} answered ${status} for ${ctx.what}${said}`);
}
