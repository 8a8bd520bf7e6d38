import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/reference/reference.js';
import { parseTokenResponse, repositoryScope, tokenRequest } from '../../src/registry/auth.js';
import { parseChallenges, pickChallenge } from '../../src/registry/challenge.js';
import {
  credentialFromEntry,
  credentialFromHelperOutput,
  dockerConfigPath,
  keyHost,
  lookupByHost,
  lookupCredentials,
} from '../../src/registry/credentials.js';
import { responseError } from '../../src/registry/errors.js';
import { redactUrl, redirectTarget } from '../../src/registry/http.js';
import { classifyNetError } from '../../src/registry/neterror.js';
import { parseContentRange, resumeMode } from '../../src/registry/resume.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, retryPolicy } from '../../src/registry/retry.js';
import { chooseManifest, layerBlobs, registryFacts } from '../../src/transports/registry.js';

const tmp = mkdtempSync(join(tmpdir(), 'strata-units-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('WWW-Authenticate', () => {
  test('a Bearer challenge with quoted parameters', () => {
    const [c] = parseChallenges([
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
    ]);
    expect(c).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:samalba/my-app:pull,push',
      },
    });
  });

  test('several challenges in one header, Bearer preferred', () => {
    const all = parseChallenges([
      'Basic realm="x", Bearer realm="https://t/token", error=insufficient_scope',
    ]);
    expect(all.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(all[1]?.params).toEqual({ realm: 'https://t/token', error: 'insufficient_scope' });
    expect(pickChallenge(all)?.scheme).toBe('bearer');
    expect(pickChallenge(parseChallenges(['Negotiate abc']))).toBeUndefined();
  });
});

describe('tokens', () => {
  const challenge = { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg' } };
  const scope = repositoryScope('library/busybox');

  test('a GET with Basic credentials and Docker-style parameters', () => {
    const req = tokenRequest(challenge, scope, { kind: 'basic', username: 'u', password: 'p' });
    expect(req.method).toBe('GET');
    expect(req.url).toBe(
      'https://auth.example/token?account=u&scope=repository%3Alibrary%2Fbusybox%3Apull&service=reg',
    );
    expect(req.headers).toEqual({ authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
  });

  test('an identity token is a refresh_token POST', () => {
    const req = tokenRequest(challenge, scope, { kind: 'identity-token', token: 'rt' });
    expect(req.method).toBe('POST');
    expect(new URLSearchParams(String(req.body)).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(String(req.body)).get('refresh_token')).toBe('rt');
  });

  test('token or access_token; short lifetimes count as 60 s', () => {
    expect(parseTokenResponse(Buffer.from('{"access_token":"a","expires_in":5}'), 0)).toEqual({
      token: 'a',
      expiresAt: 50_000,
    });
    expect(parseTokenResponse(Buffer.from('{"token":"t","expires_in":300}'), 0)).toEqual({
      token: 't',
      expiresAt: 290_000,
    });
    expect(() => parseTokenResponse(Buffer.from('{}'))).toThrow(/without a token/);
  });

  test('a realm that is not a URL is refused', () => {
    expect(() => tokenRequest({ scheme: 'bearer', params: {} }, scope, undefined)).toThrow(/no usable realm/);
  });
});

describe('credentials', () => {
  test('config keys reduce to hosts', () => {
    expect(keyHost('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(keyHost('http://127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(keyHost('Ghcr.IO')).toBe('ghcr.io');
  });

  test('docker.io matches the historical Hub key', () => {
    const auths = { 'https://index.docker.io/v1/': 'hub', 'ghcr.io': 'gh' };
    expect(lookupByHost(auths, 'docker.io')).toBe('hub');
    expect(lookupByHost({ 'registry-1.docker.io': 'hub' }, 'docker.io')).toBe('hub');
    expect(lookupByHost(auths, 'ghcr.io')).toBe('gh');
    expect(lookupByHost(auths, 'quay.io')).toBeUndefined();
  });

  test('auths entries: auth, username/password, identitytoken', () => {
    const auth = Buffer.from('user:pa:ss').toString('base64');
    expect(credentialFromEntry({ auth }, 'x')).toEqual({
      kind: 'basic',
      username: 'user',
      password: 'pa:ss',
    });
    expect(credentialFromEntry({ username: 'a', password: 'b' }, 'x')).toEqual({
      kind: 'basic',
      username: 'a',
      password: 'b',
    });
    expect(credentialFromEntry({ auth, identitytoken: 'it' }, 'x')).toEqual({
      kind: 'identity-token',
      token: 'it',
      username: 'user',
    });
    expect(credentialFromEntry({}, 'x')).toBeUndefined();
    expect(() => credentialFromEntry({ auth: Buffer.from('nocolon').toString('base64') }, 'cfg')).toThrow(
      /cfg/,
    );
  });

  test('helper output', () => {
    expect(credentialFromHelperOutput('{"Username":"<token>","Secret":"s"}', 'h')).toEqual({
      kind: 'identity-token',
      token: 's',
    });
    expect(credentialFromHelperOutput('{"Username":"u","Secret":"s"}', 'h')).toEqual({
      kind: 'basic',
      username: 'u',
      password: 's',
    });
    expect(() => credentialFromHelperOutput('oops', 'h')).toThrow(/not JSON/);
  });

  test('config path: authFile, then DOCKER_CONFIG, then HOME', () => {
    expect(dockerConfigPath({ authFile: '/a.json', env: { DOCKER_CONFIG: '/d' } })).toBe('/a.json');
    expect(dockerConfigPath({ env: { DOCKER_CONFIG: '/d', HOME: '/h' } })).toBe('/d/config.json');
    expect(dockerConfigPath({ env: { HOME: '/h' } })).toBe('/h/.docker/config.json');
  });

  test('explicit credentials win; a missing default config is anonymous; a bad file is invalid', async () => {
    expect(
      await lookupCredentials('r:1', { username: 'u', password: 'p', authFile: '/nonexistent' }),
    ).toEqual({
      kind: 'basic',
      username: 'u',
      password: 'p',
    });
    expect(await lookupCredentials('r:1', { env: { HOME: join(tmp, 'nohome') } })).toBeUndefined();
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{nope');
    await expect(lookupCredentials('r:1', { authFile: bad })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(lookupCredentials('r:1', { authFile: join(tmp, 'missing.json') })).rejects.toMatchObject({
      kind: 'not-found',
    });
    await expect(lookupCredentials('r:1', { username: 'u' })).rejects.toMatchObject({ kind: 'usage' });
  });
});

describe('HTTP details', () => {
  test('redirects to another origin drop Authorization; same origin keeps it', () => {
    const req = {
      method: 'GET',
      url: 'https://reg.example/v2/a/blobs/x',
      headers: { authorization: 'Bearer t', range: 'bytes=5-' },
    };
    expect(redirectTarget(req, 307, 'https://cdn.example/blob?sig=1')).toEqual({
      method: 'GET',
      url: 'https://cdn.example/blob?sig=1',
      headers: { range: 'bytes=5-' },
    });
    expect(redirectTarget(req, 302, '/v2/other')?.headers).toEqual(req.headers);
    expect(redirectTarget(req, 200, '/x')).toBeUndefined();
  });

  test('debug log URLs hide signatures', () => {
    expect(redactUrl('https://cdn.example/b?X-Amz-Signature=abc&n=1')).toBe(
      'https://cdn.example/b?X-Amz-Signature=REDACTED&n=1',
    );
  });

  test('Content-Range and resume decisions', () => {
    expect(parseContentRange('bytes 100-199/200')).toEqual({ start: 100, end: 199, total: 200 });
    expect(parseContentRange('bytes 100-199/*')).toEqual({ start: 100, end: 199 });
    expect(parseContentRange('items 1-2/3')).toBeUndefined();
    expect(resumeMode({ status: 206, headers: { 'content-range': 'bytes 100-199/200' } }, 100)).toBe(
      'append',
    );
    expect(resumeMode({ status: 206, headers: { 'content-range': 'bytes 0-199/200' } }, 100)).toBe('restart');
    expect(resumeMode({ status: 200, headers: {} }, 100)).toBe('restart');
  });

  test('retry timing', () => {
    const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });
    expect(parseRetryAfter('3')).toBe(3000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(backoffDelay(policy, 1, 60_000)).toBe(5000);
    expect(backoffDelay(policy, 1, undefined, () => 0.5)).toBe(100);
    expect(backoffDelay(policy, 3, undefined, () => 0.5)).toBe(400);
    expect(backoffDelay(policy, 10, undefined, () => 0.5)).toBe(1000);
    expect([429, 500, 502, 503, 504, 501, 404, 401].map(isRetryableStatus)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  test('network errors: refused, DNS and TLS are final; resets and timeouts are retried', () => {
    expect(classifyNetError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toEqual({
      reason: 'connection refused',
      transient: false,
    });
    expect(classifyNetError({ cause: { code: 'ENOTFOUND' } })?.reason).toBe('no such host');
    expect(
      classifyNetError(Object.assign(new Error('bad cert'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
    ).toEqual({
      reason: 'TLS error: bad cert',
      transient: false,
    });
    expect(classifyNetError({ code: 'UND_ERR_SOCKET' })?.transient).toBe(true);
    expect(classifyNetError(new Error('plain'))).toBeUndefined();
  });
});

describe('registry error answers', () => {
  const ctx = { host: 'r:5000', what: 'r:5000/app:nope' };
  const body = (code: string, message: string) =>
    Buffer.from(JSON.stringify({ errors: [{ code, message }] }));

  test('mapped to kinds with the registry words', () => {
    expect(responseError(404, body('MANIFEST_UNKNOWN', 'manifest unknown'), ctx)).toMatchObject({
      kind: 'not-found',
      message: 'manifest unknown: r:5000/app:nope',
    });
    expect(
      responseError(404, body('NAME_UNKNOWN', 'repository name not known to registry'), ctx).message,
    ).toBe('repository name not known to registry: r:5000/app:nope');
    expect(responseError(404, Buffer.from(''), ctx).message).toBe('not found: r:5000/app:nope');
    expect(
      responseError(403, body('DENIED', 'requested access to the resource is denied'), ctx),
    ).toMatchObject({ kind: 'auth' });
    expect(
      responseError(401, body('UNAUTHORIZED', 'authentication required'), { ...ctx, authenticated: true })
        .message,
    ).toBe(
      'authentication failed for r:5000: the registry refused the credentials (authentication required)',
    );
    expect(responseError(400, body('TAG_INVALID', 'manifest tag did not match URI'), ctx)).toMatchObject({
      kind: 'registry',
      message:
        'registry r:5000 answered 400 for r:5000/app:nope: TAG_INVALID: manifest tag did not match URI',
    });
  });
});

describe('choosing from an index', () => {
  const d = (platform: { os: string; architecture: string; variant?: string } | undefined, n: number) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${String(n).repeat(64)}`,
    size: 1,
    platform,
  });
  const entries = [
    d({ os: 'linux', architecture: 'arm', variant: 'v7' }, 1),
    d({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 2),
    d({ os: 'linux', architecture: 'amd64' }, 3),
    d({ os: 'unknown', architecture: 'unknown' }, 4),
  ];

  test('the best rank wins, not the first match', () => {
    expect(chooseManifest(entries, parsePlatform('linux/arm64'), 'x').digest).toBe(entries[1]!.digest);
    expect(chooseManifest(entries, parsePlatform('linux/arm/v7'), 'x').digest).toBe(entries[0]!.digest);
  });

  test('no match lists the platforms, leaving out attestations', () => {
    expect(() => chooseManifest(entries, parsePlatform('windows/amd64'), 'reg/x:1')).toThrow(
      'no image for windows/amd64 in reg/x:1; available: linux/arm/v7, linux/arm64/v8, linux/amd64',
    );
  });
});

describe('layers and facts', () => {
  const manifest = (mediaType: string, urls?: string[]) => ({
    schemaVersion: 2 as const,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${'a'.repeat(64)}`,
      size: 2,
    },
    layers: [{ mediaType, digest: `sha256:${'b'.repeat(64)}`, size: 3, ...(urls ? { urls } : {}) }],
  });

  test('foreign layers keep their URLs; unknown vendor types are guessed; others refused', () => {
    const foreign = layerBlobs(
      manifest('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', ['https://cdn.example/l']),
      'x',
    );
    expect(foreign[0]).toMatchObject({ compression: 'gzip', foreign: true, urls: ['https://cdn.example/l'] });
    expect(layerBlobs(manifest('application/vnd.oci.image.layer.v1.tar+foo+zstd'), 'x')[0]?.compression).toBe(
      'zstd',
    );
    expect(() =>
      layerBlobs(manifest('application/vnd.cncf.helm.chart.content.v1.tar+gzip'), 'reg/x:1'),
    ).toThrow(
      'layer 0 of reg/x:1 has media type application/vnd.cncf.helm.chart.content.v1.tar+gzip, which is not an image layer',
    );
  });

  test('Docker Hub references use the familiar name', () => {
    expect(registryFacts(parseReference('busybox'), 'sha256:ab')).toEqual({
      repoTags: ['busybox:latest'],
      repoDigests: ['busybox@sha256:ab'],
    });
    expect(registryFacts(parseReference(`user/app:1@sha256:${'c'.repeat(64)}`), 'sha256:cd')).toEqual({
      repoTags: [],
      repoDigests: ['user/app@sha256:cd'],
    });
  });
});
