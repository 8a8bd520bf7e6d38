import { Readable, pipeline } from 'node:stream';
import { StrataError, invalid, isStrataError } from '../errors.js';
import {
  VerifyingStream,
  digestMismatch,
  isDigest,
  parseDigest,
  sha256,
  verifyBytes,
} from '../oci/digest.js';
import type { RawBlob } from '../oci/manifest.js';
import { ACCEPT_MANIFESTS, MediaType } from '../oci/mediatypes.js';
import { DOCKER_HUB, DOCKER_HUB_API, isLoopbackHost } from '../reference/reference.js';
import { Authenticator, repositoryScope } from './auth.js';
import { type CredentialOptions, lookupCredentials } from './credentials.js';
import { responseError } from './errors.js';
import {
  HttpClient,
  type HttpRequest,
  type HttpResponse,
  type HttpTimeouts,
  type RequestHook,
  discard,
  header,
  readBody,
} from './http.js';
import { isTransientNetError, unreachableError } from './neterror.js';
import { resumableChunks } from './resume.js';
import {
  type RetryPolicy,
  backoffDelay,
  isRetryableStatus,
  parseRetryAfter,
  retryPolicy,
  sleep,
} from './retry.js';

export interface RegistryClientOptions extends CredentialOptions {
  /** Allow plain HTTP and unverified TLS for a registry that is not on loopback. */
  insecure?: boolean;
  /** Called for every HTTP exchange (each redirect hop and retry), e.g. to count requests. */
  onRequest?: RequestHook;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<HttpTimeouts>;
}

/** What a blob download needs to know; sizes and URLs come from the manifest's descriptor. */
export interface BlobDescriptor {
  digest: string;
  size?: number;
  /** For non-distributable layers: where else the blob may be fetched from, tried first. */
  urls?: string[];
}

/** Manifests over this size are refused (Docker's limit is the same order). */
export const MANIFEST_LIMIT = 4 << 20;
const ERROR_BODY_LIMIT = 64 << 10;
/** Schema 1 is accepted on the wire only so the registry does not convert; parsing then refuses it. */
export const MANIFEST_ACCEPT = [
  ...ACCEPT_MANIFESTS,
  MediaType.dockerSchema1Signed,
  MediaType.dockerSchema1,
].join(', ');

const RETRY_AUTH = Symbol('retry-auth');

/** The first bytes of an error answer, for its message; never fails. */
async function readErrorBody(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    // what arrived is enough for a message
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_LIMIT);
}

function mediaTypeOf(res: HttpResponse): string {
  return header(res.headers, 'content-type')?.split(';')[0]?.trim() ?? '';
}

/** Pass a blob's bytes through digest and size verification. */
function verified(chunks: AsyncIterable<Buffer>, desc: BlobDescriptor, what: string): Readable {
  const out = new VerifyingStream(desc.digest, desc.size, what);
  // pipeline destroys `out` with any source error, so the consumer sees it there.
  pipeline(Readable.from(chunks, { objectMode: false }), out, () => {});
  return out;
}

/**
 * A distribution-spec client for one registry: manifests and blobs by repository, with auth, retries,
 * redirects and resumable blob downloads. Blob downloads are streams; uploads can be added on the same
 * `call()` path with a push scope.
 */
export class RegistryClient {
  /** The registry as references name it (docker.io). */
  readonly domain: string;
  /** The host strata talks to (registry-1.docker.io for docker.io). */
  readonly host: string;
  private readonly http: HttpClient;
  private readonly auth: Authenticator;
  private readonly policy: RetryPolicy;
  private readonly insecure: boolean;
  private base?: Promise<string>;

  constructor(domain: string, options: RegistryClientOptions = {}) {
    this.domain = domain;
    this.host = domain === DOCKER_HUB ? DOCKER_HUB_API : domain;
    this.insecure = options.insecure === true;
    this.policy = retryPolicy(options.retry);
    this.http = new HttpClient({
      insecureTls: this.insecure,
      onRequest: options.onRequest,
      timeouts: options.timeouts,
    });
    this.auth = new Authenticator(
      domain,
      (req) => this.exchange(req, async (res) => res, 'token server'),
      () => lookupCredentials(domain, options),
    );
  }

  /** Schemes to try, in order: loopback speaks HTTP; --insecure falls back to it; others are HTTPS only. */
  private schemes(): string[] {
    if (isLoopbackHost(this.host)) return ['http'];
    return this.insecure ? ['https', 'http'] : ['https'];
  }

  /** scheme://host, found by pinging /v2/ once; the ping also tells whether and how to authenticate. */
  private endpoint(): Promise<string> {
    this.base ??= this.ping().catch((err) => {
      this.base = undefined;
      throw err;
    });
    return this.base;
  }

  private async ping(): Promise<string> {
    const schemes = this.schemes();
    for (const [i, scheme] of schemes.entries()) {
      const base = `${scheme}://${this.host}`;
      try {
        return await this.exchange({ method: 'GET', url: `${base}/v2/` }, async (res) => {
          const body = await readErrorBody(res.body);
          if (res.status === 401) this.auth.noteChallenge(res.headers);
          else if (res.status >= 500)
            throw responseError(res.status, body, { host: this.host, what: `${base}/v2/` });
          return base;
        });
      } catch (err) {
        const fallBack = i < schemes.length - 1 && isStrataError(err) && err.kind === 'unreachable';
        if (!fallBack) throw err;
      }
    }
    throw new StrataError('unreachable', `cannot reach registry ${this.host}`);
  }

  /**
   * One logical request with retries: 5xx/429 answers (honouring Retry-After) and dropped connections
   * are tried again up to the policy's limit. `finish` reads the answer; a connection dropped while it
   * reads is retried too. After the last try the final answer goes to `finish` as it is.
   */
  private async exchange<T>(
    req: HttpRequest,
    finish: (res: HttpResponse) => Promise<T>,
    label = 'registry',
  ): Promise<T> {
    const host = new URL(req.url).host;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.policy.attempts;
      try {
        const res = await this.http.send(req);
        if (isRetryableStatus(res.status) && !last) {
          const wait = backoffDelay(
            this.policy,
            attempt,
            parseRetryAfter(header(res.headers, 'retry-after')),
          );
          await discard(res.body);
          await sleep(wait);
          continue;
        }
        return await finish(res);
      } catch (err) {
        if (isTransientNetError(err) && !last) {
          await sleep(backoffDelay(this.policy, attempt));
          continue;
        }
        throw unreachableError(err, host, label);
      }
    }
  }

  /** A repository request: authenticated for `scope`, answering one 401 by (re)authenticating. */
  private async call<T>(
    scope: string,
    build: (base: string, authorization: string | undefined) => HttpRequest,
    finish: (res: HttpResponse, authenticated: boolean) => Promise<T>,
  ): Promise<T> {
    const base = await this.endpoint();
    for (let round = 0; ; round++) {
      const authorization = await this.auth.authorization(scope);
      const outcome = await this.exchange(build(base, authorization), async (res) => {
        if (res.status === 401 && round === 0 && this.shouldReauthenticate(res, authorization, scope)) {
          await discard(res.body);
          return RETRY_AUTH;
        }
        return { value: await finish(res, authorization !== undefined) };
      });
      if (outcome !== RETRY_AUTH) return outcome.value;
    }
  }

  /** After a 401: learn the challenge; worth one more try unless a Basic password was just refused. */
  private shouldReauthenticate(res: HttpResponse, sent: string | undefined, scope: string): boolean {
    if (!this.auth.noteChallenge(res.headers)) return false;
    if (sent === undefined) return true;
    if (sent.startsWith('Bearer ')) {
      this.auth.invalidate(scope);
      return true;
    }
    return false;
  }

  private label(repo: string, reference: string): string {
    return `${this.domain}/${repo}${isDigest(reference) ? '@' : ':'}${reference}`;
  }

  /**
   * Fetch a manifest or index by tag or digest, as raw bytes. By digest the bytes must hash to it; by
   * tag their digest is computed, and must equal the registry's Docker-Content-Digest when it sent one.
   */
  async getManifest(repo: string, reference: string): Promise<RawBlob> {
    if (reference.includes(':')) parseDigest(reference, 'manifest digest');
    const what = this.label(repo, reference);
    const byDigest = isDigest(reference);
    return this.call(
      repositoryScope(repo),
      (base, authorization) => ({
        method: 'GET',
        url: `${base}/v2/${repo}/manifests/${reference}`,
        headers: { accept: MANIFEST_ACCEPT, ...(authorization ? { authorization } : {}) },
      }),
      async (res, authenticated) => {
        if (res.status !== 200) {
          throw responseError(res.status, await readErrorBody(res.body), {
            host: this.domain,
            what,
            authenticated,
          });
        }
        const bytes = await readBody(res.body, MANIFEST_LIMIT, `manifest ${what}`);
        const digest = sha256(bytes);
        if (byDigest) verifyBytes(bytes, reference, `manifest ${what}`);
        const served = header(res.headers, 'docker-content-digest');
        if (!byDigest && served !== undefined && isDigest(served) && served !== digest) {
          throw digestMismatch(`manifest ${what}`, served, digest);
        }
        return { bytes, digest, mediaType: mediaTypeOf(res) };
      },
    );
  }

  /** Fetch a small blob (a config) whole, verified; refuses more than `limit` bytes before downloading. */
  async getBlob(
    repo: string,
    desc: BlobDescriptor,
    limit: number,
    what = `blob ${desc.digest}`,
  ): Promise<Buffer> {
    if (desc.size !== undefined && desc.size > limit) {
      throw invalid(`${what} is ${desc.size} bytes, more than the ${limit} bytes strata accepts`);
    }
    return readBody(await this.openBlob(repo, desc, what), limit, what);
  }

  /**
   * Stream a blob by digest. The stream is verified (digest and size) and fails at its end if the bytes
   * are wrong; a connection dropped midway is resumed with a Range request. Foreign layers are tried at
   * their URLs first, then at the registry.
   */
  async openBlob(repo: string, desc: BlobDescriptor, what = `blob ${desc.digest}`): Promise<Readable> {
    parseDigest(desc.digest, `${what} digest`);
    for (const url of desc.urls ?? []) {
      const stream = await this.openForeign(url, desc, what).catch(() => undefined);
      if (stream !== undefined) return stream;
    }
    const label = `${this.domain}/${repo}@${desc.digest}`;
    const open = (offset: number) =>
      this.call(
        repositoryScope(repo),
        (base, authorization) => ({
          method: 'GET',
          url: `${base}/v2/${repo}/blobs/${desc.digest}`,
          headers: {
            ...(authorization ? { authorization } : {}),
            ...(offset > 0 ? { range: `bytes=${offset}-` } : {}),
          },
        }),
        async (res, authenticated) => {
          if (res.status === 200 || res.status === 206) return res;
          throw responseError(res.status, await readErrorBody(res.body), {
            host: this.domain,
            what: label,
            authenticated,
          });
        },
      );
    const first = await open(0);
    return verified(this.resuming(first, open, desc, what, this.host), desc, what);
  }

  /** A non-distributable layer from one of its URLs (no registry credentials go there). */
  private async openForeign(url: string, desc: BlobDescriptor, what: string): Promise<Readable | undefined> {
    if (!/^https?:\/\//i.test(url)) return undefined;
    const open = (offset: number) =>
      this.exchange(
        { method: 'GET', url, headers: offset > 0 ? { range: `bytes=${offset}-` } : {} },
        async (res) => {
          if (res.status === 200 || res.status === 206) return res;
          throw responseError(res.status, await readErrorBody(res.body), {
            host: new URL(url).host,
            what: url,
          });
        },
        'server',
      );
    const first = await open(0);
    return verified(this.resuming(first, open, desc, what, new URL(url).host), desc, what);
  }

  private resuming(
    first: HttpResponse,
    reopen: (offset: number) => Promise<HttpResponse>,
    desc: BlobDescriptor,
    what: string,
    host: string,
  ): AsyncGenerator<Buffer> {
    return resumableChunks(first.body, reopen, {
      size: desc.size,
      maxResumes: this.policy.attempts,
      what,
      host,
      delay: (n) => sleep(backoffDelay(this.policy, n)),
    });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
