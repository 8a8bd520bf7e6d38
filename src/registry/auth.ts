import { StrataError } from '../errors.js';
import { type Challenge, parseChallenges, pickChallenge } from './challenge.js';
import type { Credential } from './credentials.js';
import {
  type HttpRequest,
  type HttpResponse,
  type IncomingHttpHeaders,
  headerList,
  readBody,
} from './http.js';

/** Sends a request with the client's retry rules (token servers flake like registries do). */
export type Send = (req: HttpRequest) => Promise<HttpResponse>;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Docker treats shorter lifetimes as 60 s; renew a little early so a token never dies in flight. */
const MIN_TOKEN_SECONDS = 60;
const RENEW_EARLY_MS = 10_000;
const TOKEN_RESPONSE_LIMIT = 1 << 20;

/** The `scope` a request for a repository needs: repository:<path>:pull (or pull,push). */
export function repositoryScope(path: string, actions: readonly string[] = ['pull']): string {
  return `repository:${path}:${actions.join(',')}`;
}

/** One scope, or several a single token must cover (a push that mounts from another repository). */
export type Scopes = string | readonly string[];

function scopeList(scopes: Scopes): readonly string[] {
  return typeof scopes === 'string' ? [scopes] : scopes;
}

/** Cache key of a set of scopes: order does not change what the token grants. */
function scopeKey(scopes: Scopes): string {
  return [...scopeList(scopes)].sort().join(' ');
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The request that asks a token server for a token, shaped as Docker shapes it. */
export function tokenRequest(challenge: Challenge, scope: Scopes, cred: Credential | undefined): HttpRequest {
  const scopes = scopeList(scope);
  const realm = challenge.params.realm;
  if (realm === undefined || !/^https?:\/\//i.test(realm)) {
    throw new StrataError(
      'registry',
      `the registry's Bearer challenge has no usable realm (${realm ?? 'none'})`,
    );
  }
  const service = challenge.params.service;
  if (cred?.kind === 'identity-token') {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: cred.token,
      client_id: 'strata',
    });
    if (service !== undefined) form.set('service', service);
    // The OAuth form carries several scopes space-separated in one field.
    form.set('scope', scopes.join(' '));
    return {
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    };
  }
  const url = new URL(realm);
  if (cred?.kind === 'basic') url.searchParams.set('account', cred.username);
  for (const one of scopes) url.searchParams.append('scope', one);
  if (service !== undefined) url.searchParams.set('service', service);
  const headers: Record<string, string> = {};
  if (cred?.kind === 'basic') headers.authorization = basicAuthorization(cred.username, cred.password);
  return { method: 'GET', url: url.toString(), headers };
}

/** Read {token | access_token, expires_in} from a token server's answer. */
export function parseTokenResponse(body: Buffer, now = Date.now()): CachedToken {
  let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse(body.toString('utf8')) as typeof json;
  } catch {
    throw new StrataError('registry', 'the token server answered with something that is not JSON');
  }
  const token = typeof json.token === 'string' && json.token !== '' ? json.token : json.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new StrataError('registry', 'the token server answered without a token');
  }
  const seconds =
    typeof json.expires_in === 'number' && json.expires_in > MIN_TOKEN_SECONDS
      ? json.expires_in
      : MIN_TOKEN_SECONDS;
  return { token, expiresAt: now + seconds * 1000 - RENEW_EARLY_MS };
}

function tokenErrorDetail(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const json = JSON.parse(text) as {
      details?: unknown;
      error?: unknown;
      errors?: Array<{ message?: unknown }>;
    };
    const msg = json.errors?.[0]?.message ?? json.details ?? json.error;
    if (typeof msg === 'string') return msg;
  } catch {
    // not JSON: use the text
  }
  return text.split('\n')[0]?.slice(0, 200) ?? '';
}

/**
 * Answers a registry's authentication challenge: Basic with stored credentials, or Bearer tokens
 * fetched from the realm and cached per scope until they expire. Credentials are looked up only when a
 * registry first asks for them.
 */
export class Authenticator {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, CachedToken>();
  private creds?: Promise<Credential | undefined>;

  constructor(
    /** Registry host, for messages. */
    private readonly host: string,
    private readonly send: Send,
    private readonly loadCredentials: () => Promise<Credential | undefined>,
  ) {}

  /** Remember the challenge of a 401 answer. Returns false when the answer carried none strata can use. */
  noteChallenge(headers: IncomingHttpHeaders): boolean {
    const picked = pickChallenge(parseChallenges(headerList(headers, 'www-authenticate')));
    if (picked !== undefined) this.challenge = picked;
    return picked !== undefined;
  }

  get challenged(): boolean {
    return this.challenge !== undefined;
  }

  /** Forget a token the registry refused, so the next try fetches a fresh one. */
  invalidate(scope: Scopes): void {
    const wanted = `|${scopeKey(scope)}`;
    for (const key of this.tokens.keys()) if (key.endsWith(wanted)) this.tokens.delete(key);
  }

  private credentials(): Promise<Credential | undefined> {
    this.creds ??= this.loadCredentials();
    return this.creds;
  }

  /** The Authorization header for a request needing `scope` (all of them); undefined before any challenge. */
  async authorization(scope: Scopes): Promise<string | undefined> {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    const cred = await this.credentials();
    if (challenge.scheme === 'basic') {
      if (cred === undefined) throw this.noCredentials();
      if (cred.kind !== 'basic') {
        throw new StrataError(
          'auth',
          `${this.host} wants a password (Basic auth) but the stored credential is an identity token`,
        );
      }
      return basicAuthorization(cred.username, cred.password);
    }
    return `Bearer ${await this.token(challenge, scope, cred)}`;
  }

  private async token(challenge: Challenge, scope: Scopes, cred: Credential | undefined): Promise<string> {
    const key = `${challenge.params.realm}|${challenge.params.service ?? ''}|${scopeKey(scope)}`;
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.token;
    const res = await this.send(tokenRequest(challenge, scope, cred));
    const body = await readBody(res.body, TOKEN_RESPONSE_LIMIT, 'token server answer');
    if (res.status === 401 || res.status === 403) {
      const detail = tokenErrorDetail(body);
      if (cred === undefined) throw this.noCredentials(detail);
      throw new StrataError(
        'auth',
        `authentication failed for ${this.host}: token server refused the credentials${detail ? `: ${detail}` : ''}`,
      );
    }
    if (res.status !== 200) {
      throw new StrataError(
        'registry',
        `token server for ${this.host} answered ${res.status}: ${tokenErrorDetail(body)}`,
      );
    }
    const fresh = parseTokenResponse(body);
    this.tokens.set(key, fresh);
    return fresh.token;
  }

  private noCredentials(detail?: string): StrataError {
    return new StrataError(
      'auth',
      `authentication required for ${this.host}, and no credentials were found${detail ? `: ${detail}` : ''}`,
      {
        hint: `log in with docker login ${this.host}, or pass --username and --password`,
      },
    );
  }
}
