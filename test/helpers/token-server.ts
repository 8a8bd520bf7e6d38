import { randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from './certificate.js';

/**
 * A token server for the distribution registry's `auth: token` mode: it checks Basic credentials (or a
 * refresh token) and issues RS256 JWTs whose x5c header carries a self-signed certificate made with
 * the openssl CLI; the registry trusts that certificate through `rootcertbundle`.
 */

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestLog {
  method: string;
  scope: string[];
  service?: string;
  /** The user the request authenticated as, if any. */
  user?: string;
  grantType?: string;
  status: number;
}

export interface TokenServerOptions {
  /** user → password */
  users?: Record<string, string>;
  /** refresh token → user (for identity tokens) */
  refreshTokens?: Record<string, string>;
  /** Grant pull to anonymous requests. */
  anonymousPull?: boolean;
  /** Answer with access_token instead of token. */
  accessTokenField?: boolean;
  expiresIn?: number;
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** Lines for startRegistry({ authYaml }). */
  authYaml: string;
  requests: TokenRequestLog[];
  /** A token straight from the issuer, e.g. for uploading fixtures. */
  issue(subject: string, access: Access[]): string;
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function parseScope(scope: string): Access | undefined {
  const m = /^([a-z]+):(.+):([a-z,*]+)$/.exec(scope);
  return m ? { type: m[1]!, name: m[2]!, actions: m[3]!.split(',') } : undefined;
}

async function readRequestBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-token-'));
  const { keyPem, certPem, certPath } = makeCertificate(dir, 'strata-test-token-issuer');
  const certDer = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  const service = 'strata-test-registry';
  const issuer = 'strata-test-issuer';
  const requests: TokenRequestLog[] = [];

  const issue = (subject: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
    const claims = b64url(
      JSON.stringify({
        iss: issuer,
        sub: subject,
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = sign('sha256', Buffer.from(`${head}.${claims}`), keyPem);
    return `${head}.${claims}.${b64url(signature)}`;
  };

  const authenticate = (req: IncomingMessage, form: URLSearchParams): { user?: string; ok: boolean } => {
    if (form.get('grant_type') === 'refresh_token') {
      const user = options.refreshTokens?.[form.get('refresh_token') ?? ''];
      return { user, ok: user !== undefined };
    }
    const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return { ok: true };
    const text = Buffer.from(m[1]!, 'base64').toString('utf8');
    const user = text.slice(0, text.indexOf(':'));
    const password = text.slice(text.indexOf(':') + 1);
    return { user, ok: options.users?.[user] === password };
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const form = req.method === 'POST' ? new URLSearchParams(await readRequestBody(req)) : url.searchParams;
    const scopes = form
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    const who = authenticate(req, form);
    const log: TokenRequestLog = {
      method: req.method ?? '',
      scope: scopes,
      service: form.get('service') ?? undefined,
      user: who.user,
      grantType: form.get('grant_type') ?? undefined,
      status: 200,
    };
    requests.push(log);
    if (!who.ok || (who.user === undefined && !options.anonymousPull)) {
      log.status = 401;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          details: who.ok ? 'anonymous access is not allowed' : 'incorrect username or password',
        }),
      );
      return;
    }
    const access = scopes
      .map(parseScope)
      .filter((a): a is Access => a !== undefined)
      .map((a) => (who.user === undefined ? { ...a, actions: a.actions.filter((x) => x === 'pull') } : a));
    const token = issue(who.user ?? '', access);
    const body = options.accessTokenField
      ? { access_token: token, expires_in: options.expiresIn ?? 300, issued_at: new Date().toISOString() }
      : { token, expires_in: options.expiresIn ?? 300, issued_at: new Date().toISOString() };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const realm = `http://127.0.0.1:${port}/token`;
  const authYaml = [
    '  token:',
    `    realm: ${realm}`,
    `    service: ${service}`,
    `    issuer: ${issuer}`,
    `    rootcertbundle: ${certPath}`,
  ].join('\n');
  return {
    realm,
    service,
    issuer,
    authYaml,
    requests,
    issue,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
