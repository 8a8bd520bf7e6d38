import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { loadUndici } from './undici.js';
import { StrataError, invalid } from '../errors.js';
import { classifyNetError } from './neterror.js';
import { wireResponse } from './wire.js';

export type IncomingHttpHeaders = Record<string, string | string[] | undefined>;

/** One HTTP exchange as observed on the wire (each redirect hop and each retry is its own). */
export interface RequestInfo {
  method: string;
  url: string;
  /** 0 when no answer came (connection refused, dropped…). */
  status: number;
  error?: string;
}

export type RequestHook = (info: RequestInfo) => void;

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Upload bodies. A streamed body cannot be replayed, so such requests never follow redirects. */
  body?: string | Buffer | Readable;
}

export interface HttpResponse {
  status: number;
  /** The URL that answered, after redirects. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Unread; the caller must consume or destroy it. */
  body: Readable;
}

export interface HttpTimeouts {
  connectMs: number;
  headersMs: number;
  /** Longest silence while a body streams. */
  bodyMs: number;
}

export interface HttpClientOptions {
  /** Skip TLS certificate verification (only for --insecure). */
  insecureTls?: boolean;
  onRequest?: RequestHook;
  timeouts?: Partial<HttpTimeouts>;
  userAgent?: string;
}

const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 30_000, headersMs: 60_000, bodyMs: 120_000 };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 10;
const USER_AGENT = 'strata/0.1';

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function headerList(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Hide query values that look like signatures or tokens (CDN redirect URLs carry them). */
export function redactUrl(url: string): string {
  const u = new URL(url);
  for (const key of [...u.searchParams.keys()]) {
    if (/sig|signature|token|key|credential|policy|auth/i.test(key)) u.searchParams.set(key, 'REDACTED');
  }
  return u.toString();
}

function logExchange(hook: RequestHook | undefined, info: RequestInfo): void {
  hook?.(info);
  if (process.env.STRATA_DEBUG_HTTP === '1') {
    const outcome = info.status === 0 ? `error: ${info.error ?? 'no answer'}` : String(info.status);
    process.stderr.write(`strata: http: ${info.method} ${redactUrl(info.url)} -> ${outcome}\n`);
  }
}

/** The request to send after a redirect answer, or undefined when it must not be followed. */
export function redirectTarget(
  req: HttpRequest,
  status: number,
  location: string | undefined,
): HttpRequest | undefined {
  if (!REDIRECTS.has(status) || location === undefined) return undefined;
  if (req.body !== undefined && typeof req.body !== 'string' && !Buffer.isBuffer(req.body)) return undefined;
  const next = new URL(location, req.url);
  const headers = { ...req.headers };
  // Credentials are for the host that challenged us; a CDN or another host never sees them.
  if (next.origin !== new URL(req.url).origin) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') delete headers[key];
  }
  if (status === 303 && req.method !== 'HEAD') {
    return { method: 'GET', url: next.toString(), headers };
  }
  return { ...req, url: next.toString(), headers };
}

/** Plain HTTP exchanges over one connection pool: redirects followed, every hop reported. */
export class HttpClient {
  private agent?: Promise<Agent>;
  private readonly onRequest?: RequestHook;
  /** Sent with every request (a download on another thread sends it too). */
  readonly userAgent: string;

  /** The timeouts every exchange of this client uses (a download on another thread uses them too). */
  readonly timeouts: HttpTimeouts;

  constructor(private readonly options: HttpClientOptions = {}) {
    this.onRequest = options.onRequest;
    this.userAgent = options.userAgent ?? USER_AGENT;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  }

  /** Report an exchange made elsewhere (a download on a worker thread) as this client's own. */
  report(info: RequestInfo): void {
    logExchange(this.onRequest, info);
  }

  /** Send a request, following up to MAX_REDIRECTS redirects. Network errors are thrown as they come. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let current = req;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await this.once(current);
      const next = redirectTarget(current, res.status, header(res.headers, 'location'));
      if (next === undefined) return res;
      await discard(res.body);
      current = next;
    }
    throw new StrataError(
      'registry',
      `too many redirects (more than ${MAX_REDIRECTS}) for ${req.method} ${req.url}`,
    );
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const headers = { 'user-agent': this.userAgent, ...req.headers };
    try {
      if (req.body === undefined) {
        // Requests without a body (all a pull makes) go on a connection of their own, without undici.
        const insecureTls = this.options.insecureTls;
        const res = await wireResponse({
          ...req,
          url: new URL(req.url),
          headers,
          insecureTls,
          timeouts: this.timeouts,
        });
        logExchange(this.onRequest, { method: req.method, url: req.url, status: res.head.status });
        return { status: res.head.status, url: req.url, headers: res.head.headers, body: res.body };
      }
      const { request } = await loadUndici();
      const res = await request(req.url, {
        method: req.method as 'GET',
        headers,
        body: req.body,
        dispatcher: await this.dispatcher(),
      });
      logExchange(this.onRequest, { method: req.method, url: req.url, status: res.statusCode });
      return { status: res.statusCode, url: req.url, headers: res.headers, body: res.body };
    } catch (err) {
      const reason = classifyNetError(err)?.reason ?? (err as Error).message;
      logExchange(this.onRequest, { method: req.method, url: req.url, status: 0, error: reason });
      throw err;
    }
  }

  /** The connection pool, made on the first request. */
  private dispatcher(): Promise<Agent> {
    this.agent ??= loadUndici().then(({ Agent }) => {
      const t = this.timeouts;
      return new Agent({
        connect: { rejectUnauthorized: !this.options.insecureTls, timeout: t.connectMs },
        headersTimeout: t.headersMs,
        bodyTimeout: t.bodyMs,
      });
    });
    return this.agent;
  }

  /** Drop all connections; streams still open fail (a graceful close would wait for them forever). */
  async close(): Promise<void> {
    if (this.agent) await (await this.agent).destroy();
  }
}

/** Read a whole (small) body, refusing more than `limit` bytes so a hostile server cannot fill memory. */
export async function readBody(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > limit) {
      body.destroy();
      throw invalid(`${what} is larger than the ${limit} bytes strata accepts`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

/** Throw a body away so its connection can be reused; errors do not matter here. */
export async function discard(body: Readable): Promise<void> {
  try {
    for await (const _ of body) {
      // drain
    }
  } catch {
    // the connection is gone anyway
  }
}
