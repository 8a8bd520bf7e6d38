import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform, pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { StrataError, fromSystemError, invalid, isStrataError } from '../errors.js';
import { downloadJob } from '../threads/pool.js';
import type { DownloadHooks } from './blob-download.js';
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
import { Authenticator, type Scopes, repositoryScope } from './auth.js';
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
import { classifyNetError, isTransientNetError, unreachableError } from './neterror.js';
import { resumableChunks } from './resume.js';
import {
  HashingCounter,
  type UploadExpectation,
  type UploadProgress,
  type UploadedBlob,
  nextLocation,
  sameOrigin,
  withDigest,
} from './upload.js';
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
function verified(
  chunks: AsyncIterable<Buffer>,
  desc: BlobDescriptor,
  what: string,
  options: { hash?: boolean },
): Readable {
  const out = new VerifyingStream(desc.digest, desc.size, what, options);
  // pipeline destroys `out` with any source error, so the consumer sees it there. A small blob can be
  // read and found wrong before the consumer attaches a listener: the error then waits in out.errored
  // (which pipeline and async iteration check) instead of crashing the process.
  out.on('error', () => {});
  pipeline(Readable.from(chunks, { objectMode: false }), out, () => {});
  return out;
}

/**
 * A distribution-spec client for one registry: manifests and blobs by repository, with auth, retries,
 * redirects and resumable blob downloads. Blob downloads and uploads are streams; pushes ask for one
 * pull,push token per repository (plus the source's pull scope for a mount).
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
    attempts = this.policy.attempts,
  ): Promise<T> {
    const host = new URL(req.url).host;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
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

  /**
   * A repository request: authenticated for `scope`, answering one 401 by (re)authenticating. A request
   * whose body is a stream is sent once only (`once`): its bytes are gone after the first try.
   */
  private async call<T>(
    scope: Scopes,
    build: (base: string, authorization: string | undefined) => HttpRequest,
    finish: (res: HttpResponse, authenticated: boolean) => Promise<T>,
    options: { once?: boolean } = {},
  ): Promise<T> {
    const base = await this.endpoint();
    const attempts = options.once ? 1 : this.policy.attempts;
    for (let round = 0; ; round++) {
      const authorization = await this.auth.authorization(scope);
      const outcome = await this.exchange(
        build(base, authorization),
        async (res) => {
          const again = res.status === 401 && round === 0 && !options.once;
          if (again && this.shouldReauthenticate(res, authorization, scope)) {
            await discard(res.body);
            return RETRY_AUTH;
          }
          return { value: await finish(res, authorization !== undefined) };
        },
        'registry',
        attempts,
      );
      if (outcome !== RETRY_AUTH) return outcome.value;
    }
  }

  /** After a 401: learn the challenge; worth one more try unless a Basic password was just refused. */
  private shouldReauthenticate(
    res: Pick<HttpResponse, 'headers'>,
    sent: string | undefined,
    scope: Scopes,
  ): boolean {
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
  async openBlob(
    repo: string,
    desc: BlobDescriptor,
    what = `blob ${desc.digest}`,
    options: { hash?: boolean } = {},
  ): Promise<Readable> {
    parseDigest(desc.digest, `${what} digest`);
    for (const url of desc.urls ?? []) {
      const stream = await this.openForeign(url, desc, what, options).catch(() => undefined);
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
    return verified(this.resuming(first, open, desc, what, this.host), desc, what, options);
  }

  /**
   * Download a blob into a new file (created or truncated at `file`), verified against its digest and
   * size and synced, on a thread of its own: the bytes never pass through this one. Resumes, retries and
   * redirects as openBlob does. On failure the file may hold part of the blob; the caller removes it.
   * Non-distributable layers with URLs go through openBlob.
   */
  async downloadBlob(
    repo: string,
    desc: BlobDescriptor,
    file: string,
    labels: { what: string; where: string },
    hooks: Pick<DownloadHooks, 'onProgress' | 'signal'> = {},
  ): Promise<void> {
    parseDigest(desc.digest, `${labels.what} digest`);
    if ((desc.urls ?? []).length > 0) {
      const stream = await this.openBlob(repo, desc, labels.what);
      let received = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          hooks.onProgress?.(received);
          cb(null, chunk);
        },
      });
      const signal = hooks.signal;
      await pipelineAsync(stream, count, createWriteStream(file), signal ? { signal } : {}).catch((err) => {
        throw fromSystemError(err, labels.where);
      });
      const written = await open(file, 'r+');
      await written.sync().finally(() => written.close());
      return;
    }
    const base = await this.endpoint();
    const scope = repositoryScope(repo);
    const label = `${this.domain}/${repo}@${desc.digest}`;
    for (let round = 0; ; round++) {
      const authorization = await this.auth.authorization(scope);
      const outcome = await downloadJob(
        {
          url: `${base}/v2/${repo}/blobs/${desc.digest}`,
          headers: { 'user-agent': this.http.userAgent, ...authHeader(authorization) },
          digest: desc.digest,
          size: desc.size,
          file,
          what: labels.what,
          where: labels.where,
          policy: this.policy,
          timeouts: this.http.timeouts,
          insecureTls: this.insecure,
        },
        { ...hooks, onRequest: (info) => this.http.report(info) },
      );
      if (outcome.kind === 'stored') return;
      const again = outcome.status === 401 && round === 0;
      if (again && this.shouldReauthenticate(outcome, authorization, scope)) continue;
      throw responseError(outcome.status, Buffer.from(outcome.body), {
        host: this.domain,
        what: label,
        authenticated: authorization !== undefined,
      });
    }
  }

  /** A non-distributable layer from one of its URLs (no registry credentials go there). */
  private async openForeign(
    url: string,
    desc: BlobDescriptor,
    what: string,
    options: { hash?: boolean },
  ): Promise<Readable | undefined> {
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
    return verified(this.resuming(first, open, desc, what, new URL(url).host), desc, what, options);
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

  /** Whether the repository holds the blob (HEAD), with its size when the registry says. */
  async headBlob(
    repo: string,
    digest: string,
    actions: readonly string[] = ['pull'],
  ): Promise<{ present: boolean; size?: number }> {
    parseDigest(digest, 'blob digest');
    const what = `${this.domain}/${repo}@${digest}`;
    return this.call(
      repositoryScope(repo, actions),
      (base, authorization) => ({
        method: 'HEAD',
        url: `${base}/v2/${repo}/blobs/${digest}`,
        headers: authHeader(authorization),
      }),
      async (res, authenticated) => {
        await discard(res.body);
        if (res.status === 404) return { present: false };
        if (res.status !== 200) throw this.answerError(res, Buffer.alloc(0), what, authenticated);
        const length = Number(header(res.headers, 'content-length'));
        return Number.isSafeInteger(length) ? { present: true, size: length } : { present: true };
      },
    );
  }

  /**
   * Cross-repository mount: make `fromRepo`'s blob appear in `repo` without sending it. False when the
   * registry declined and opened an upload session instead (which is cancelled).
   */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    parseDigest(digest, 'blob digest');
    const scopes = [pushScope(repo), repositoryScope(fromRepo)];
    const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`;
    const what = `mount of ${digest} from ${fromRepo} into ${this.domain}/${repo}`;
    const session = await this.call<string | undefined>(
      scopes,
      (base, authorization) => ({
        method: 'POST',
        url: `${base}/v2/${repo}/blobs/uploads/?${query}`,
        headers: authHeader(authorization),
      }),
      async (res, authenticated) => {
        const body = await readErrorBody(res.body);
        if (res.status === 201) return undefined;
        if (res.status !== 202) throw this.answerError(res, body, what, authenticated);
        return nextLocation(header(res.headers, 'location'), res.url, what);
      },
    );
    if (session === undefined) return true;
    await this.cancelUpload(session, scopes);
    return false;
  }

  /**
   * Upload a blob from a stream: one upload session, the whole body in one chunked PATCH (hashed on the
   * way), then a PUT with the digest. A given digest or size that the bytes do not match cancels the
   * session, so the registry never stores wrong bytes under a claimed digest. The PATCH is never
   * retried: its stream is consumed; the caller reopens the source and calls again.
   */
  async uploadBlob(
    repo: string,
    content: Readable,
    expected: UploadExpectation = {},
    onProgress?: UploadProgress,
  ): Promise<UploadedBlob> {
    if (expected.digest !== undefined) parseDigest(expected.digest, 'blob digest');
    const what = `blob ${expected.digest ?? ''}`.trim() + ` for ${this.domain}/${repo}`;
    const scope = pushScope(repo);
    let location: string;
    try {
      location = await this.startUpload(repo, scope, what);
    } catch (err) {
      content.destroy();
      throw err;
    }
    const hasher = new HashingCounter(onProgress);
    let sourceError: unknown;
    content.once('error', (err) => {
      sourceError = err;
      hasher.destroy(err);
    });
    content.pipe(hasher);
    try {
      location = await this.patchUpload(location, hasher, scope, what);
    } catch (err) {
      content.destroy();
      hasher.destroy();
      await this.cancelUpload(location, scope);
      throw sourceError ?? brokenUpload(err, what, hasher.bytes);
    }
    const sent = { digest: hasher.digest(), size: hasher.bytes };
    const refusal = uploadRefusal(expected, sent, what);
    if (refusal !== undefined) {
      await this.cancelUpload(location, scope);
      throw refusal;
    }
    await this.finishUpload(withDigest(location, sent.digest), scope, what);
    return sent;
  }

  /** POST a new upload session; returns its Location. Retried like any request without a body. */
  private startUpload(repo: string, scope: Scopes, what: string): Promise<string> {
    return this.call(
      scope,
      (base, authorization) => ({
        method: 'POST',
        url: `${base}/v2/${repo}/blobs/uploads/`,
        headers: authHeader(authorization),
      }),
      async (res, authenticated) => {
        const body = await readErrorBody(res.body);
        if (res.status !== 202) throw this.answerError(res, body, `upload of ${what}`, authenticated);
        return nextLocation(header(res.headers, 'location'), res.url, what);
      },
    );
  }

  /** Stream the whole body in one PATCH (chunked, no Content-Range); returns the next Location. */
  private patchUpload(location: string, body: Readable, scope: Scopes, what: string): Promise<string> {
    return this.call(
      scope,
      (base, authorization) => ({
        method: 'PATCH',
        url: location,
        headers: {
          'content-type': 'application/octet-stream',
          ...(sameOrigin(location, base) ? authHeader(authorization) : {}),
        },
        body,
      }),
      async (res, authenticated) => {
        const answer = await readErrorBody(res.body);
        if (res.status < 200 || res.status > 299) {
          throw this.answerError(res, answer, `upload of ${what}`, authenticated);
        }
        const next = header(res.headers, 'location');
        return next === undefined ? location : nextLocation(next, res.url, what);
      },
      { once: true },
    );
  }

  /** PUT <location>?digest=… with an empty body: the registry checks the digest and stores the blob. */
  private finishUpload(url: string, scope: Scopes, what: string): Promise<void> {
    return this.call(
      scope,
      (base, authorization) => ({
        method: 'PUT',
        url,
        headers: {
          'content-length': '0',
          ...(sameOrigin(url, base) ? authHeader(authorization) : {}),
        },
      }),
      async (res, authenticated) => {
        const body = await readErrorBody(res.body);
        if (res.status !== 201 && res.status !== 204) {
          throw this.answerError(res, body, `upload of ${what}`, authenticated);
        }
      },
    );
  }

  /** DELETE an upload session. Best effort, tried once: it only frees space the registry reclaims anyway. */
  private async cancelUpload(location: string, scope: Scopes): Promise<void> {
    try {
      const base = await this.endpoint();
      const authorization = await this.auth.authorization(scope);
      await this.exchange(
        {
          method: 'DELETE',
          url: location,
          headers: sameOrigin(location, base) ? authHeader(authorization) : {},
        },
        (res) => discard(res.body),
        'registry',
        1,
      );
    } catch {
      // the session expires on its own
    }
  }

  /**
   * Store a manifest (or index) under a tag or digest, with its media type as Content-Type. Returns the
   * sha256 of the bytes, which the registry's Docker-Content-Digest must equal when it sends one.
   */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    if (reference.includes(':')) parseDigest(reference, 'manifest digest');
    const what = this.label(repo, reference);
    const digest = sha256(bytes);
    await this.call(
      pushScope(repo),
      (base, authorization) => ({
        method: 'PUT',
        url: `${base}/v2/${repo}/manifests/${reference}`,
        headers: { 'content-type': mediaType, ...(authorization ? { authorization } : {}) },
        body: bytes,
      }),
      async (res, authenticated) => {
        const body = await readErrorBody(res.body);
        if (res.status < 200 || res.status > 299) throw this.answerError(res, body, what, authenticated);
        const stored = header(res.headers, 'docker-content-digest');
        if (stored !== undefined && stored !== digest)
          throw digestMismatch(`manifest ${what}`, digest, stored);
      },
    );
    return digest;
  }

  private answerError(res: HttpResponse, body: Buffer, what: string, authenticated: boolean): StrataError {
    return responseError(res.status, body, { host: this.domain, what, authenticated });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

function authHeader(authorization: string | undefined): Record<string, string> {
  return authorization === undefined ? {} : { authorization };
}

/** The scope every push request asks for, so one token serves the whole push. */
export function pushScope(repo: string): string {
  return repositoryScope(repo, ['pull', 'push']);
}

/** Why the bytes sent cannot be stored under what the caller claimed; undefined when they can. */
function uploadRefusal(
  expected: UploadExpectation,
  sent: UploadedBlob,
  what: string,
): StrataError | undefined {
  if (expected.digest !== undefined && expected.digest !== sent.digest) {
    return digestMismatch(what, expected.digest, sent.digest);
  }
  if (expected.size !== undefined && expected.size !== sent.size) {
    return invalid(`${what}: ${sent.size} bytes were read, but the blob should be ${expected.size}`);
  }
  return undefined;
}

/** The error for a PATCH that did not complete: the registry's answer, or the broken connection. */
function brokenUpload(err: unknown, what: string, readBytes: number): unknown {
  if (isStrataError(err) && err.kind !== 'unreachable') return err;
  const netError = isStrataError(err) ? err.cause : err;
  const reason = classifyNetError(netError)?.reason ?? (err as Error)?.message ?? String(err);
  return new StrataError('unreachable', `upload of ${what} broke off after ${readBytes} bytes: ${reason}`, {
    cause: err,
    hint: 'the upload cannot be resumed; run the push again',
  });
}
