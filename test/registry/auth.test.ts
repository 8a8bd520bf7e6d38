import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { basicAuthorization } from '../../src/registry/auth.js';
import { lookupCredentials } from '../../src/registry/credentials.js';
import type { ImageSource, ResolvedImage } from '../../src/transports/types.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type RunningRegistry, startRegistry } from '../helpers/registry.js';
import { type PushedImage, pushImage } from '../helpers/registry-fixtures.js';
import { type TokenServer, startTokenServer } from '../helpers/token-server.js';
import { errorOf } from '../helpers/errors.js';
import { withRegistrySource } from '../helpers/registry-source.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'strata-auth-test-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const withSource = withRegistrySource;

/** Resolve and read every layer through, so blobs go through auth too. */
async function pull(src: ImageSource): Promise<ResolvedImage> {
  const img = await src.resolve();
  for (const [i, layer] of img.layers.entries()) {
    for await (const _ of await src.openLayer(layer, i)) {
      // read through: the stream verifies the digest at its end
    }
  }
  return img;
}

function writeConfig(name: string, config: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** A docker-credential-strata-test helper on PATH that answers for 127.0.0.1 hosts and logs what it was asked. */
function installHelper(output: string): { dir: string; log: string } {
  const dir = mkdtempSync(join(tmp, 'helper-'));
  const log = join(dir, 'asked.log');
  const script = [
    '#!/bin/sh',
    'server=$(cat)',
    `printf '%s %s\\n' "$1" "$server" >> ${log}`,
    'case "$server" in',
    `  127.0.0.1:*) printf '%s' '${output}' ;;`,
    '  *) echo "credentials not found in native keychain"; exit 1 ;;',
    'esac',
  ].join('\n');
  writeFileSync(join(dir, 'docker-credential-strata-test'), `${script}\n`);
  chmodSync(join(dir, 'docker-credential-strata-test'), 0o755);
  return { dir, log };
}

async function withPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = `${dir}:${saved}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

describe('Basic auth (htpasswd)', () => {
  let reg: RunningRegistry;
  let image: PushedImage;
  const basic = basicAuthorization('bob', 'builder');

  beforeAll(async () => {
    const htpasswd = join(tmp, 'htpasswd');
    writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', 'bob', 'builder']));
    reg = await startRegistry({ authYaml: `  htpasswd:\n    realm: strata-test\n    path: ${htpasswd}` });
    image = await pushImage({ url: reg.url, authorization: basic }, 'private/app', '1');
  });

  afterAll(async () => {
    await reg?.stop();
  });

  test('right credentials: manifest, config and layers are read', async () => {
    const img = await withSource(
      `${reg.host}/private/app:1`,
      { username: 'bob', password: 'builder', authFile: '/nonexistent' },
      pull,
    );
    expect(img.manifest.digest).toBe(image.manifestDigest);
    expect(img.config.digest).toBe(image.configDigest);
  });

  test('wrong password: auth error naming the registry', async () => {
    const err = await withSource(`${reg.host}/private/app:1`, { username: 'bob', password: 'nope' }, (src) =>
      errorOf(src.resolve()),
    );
    expect(err).toEqual({
      kind: 'auth',
      message: `authentication failed for ${reg.host}: the registry refused the credentials (authentication required)`,
    });
  });

  test('no credentials at all: auth error that says so', async () => {
    const authFile = writeConfig('empty.json', {});
    const err = await withSource(`${reg.host}/private/app:1`, { authFile }, (src) => errorOf(src.resolve()));
    expect(err).toEqual({
      kind: 'auth',
      message: `authentication required for ${reg.host}, and no credentials were found`,
    });
  });

  test.each([
    ['host', (h: string) => h],
    ['http://host', (h: string) => `http://${h}`],
    ['https://host/v1/', (h: string) => `https://${h}/v1/`],
  ])('credentials from a config.json auths entry keyed %s', async (_form, key) => {
    const authFile = writeConfig('auths.json', {
      auths: {
        'other.example:5000': { auth: Buffer.from('eve:wrong').toString('base64') },
        [key(reg.host)]: { auth: Buffer.from('bob:builder').toString('base64') },
      },
    });
    const img = await withSource(`${reg.host}/private/app:1`, { authFile }, pull);
    expect(img.manifest.digest).toBe(image.manifestDigest);
  });

  test('credentials from $DOCKER_CONFIG/config.json', async () => {
    const dir = mkdtempSync(join(tmp, 'docker-config-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { username: 'bob', password: 'builder' } } }),
    );
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir;
    try {
      const img = await withSource(`${reg.host}/private/app:1`, {}, (src) => src.resolve());
      expect(img.manifest.digest).toBe(image.manifestDigest);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });

  test('credentials from a credHelpers helper', async () => {
    const helper = installHelper('{"ServerURL":"x","Username":"bob","Secret":"builder"}');
    const authFile = writeConfig('helpers.json', {
      auths: { [reg.host]: {} },
      credHelpers: { [reg.host]: 'strata-test' },
    });
    const img = await withPath(helper.dir, () => withSource(`${reg.host}/private/app:1`, { authFile }, pull));
    expect(img.manifest.digest).toBe(image.manifestDigest);
    // Asked once, with the registry host on stdin.
    expect(readFileSync(helper.log, 'utf8')).toBe(`get ${reg.host}\n`);
  });

  test('a credsStore helper that knows nothing about a registry: no credentials, no error', async () => {
    const helper = installHelper('{}');
    const authFile = writeConfig('store.json', { credsStore: 'strata-test' });
    const cred = await withPath(helper.dir, () => lookupCredentials('registry.example:5000', { authFile }));
    expect(cred).toBeUndefined();
    expect(readFileSync(helper.log, 'utf8')).toBe('get registry.example:5000\n');
  });

  test('a helper that is not installed: auth error', async () => {
    const authFile = writeConfig('missing-helper.json', { credHelpers: { [reg.host]: 'strata-missing' } });
    const err = await withSource(`${reg.host}/private/app:1`, { authFile }, (src) => errorOf(src.resolve()));
    expect(err).toEqual({
      kind: 'auth',
      message: 'credential helper docker-credential-strata-missing not found on PATH',
    });
  });

  test('a helper that fails: auth error with its words', async () => {
    const dir = mkdtempSync(join(tmp, 'bad-helper-'));
    writeFileSync(
      join(dir, 'docker-credential-strata-bad'),
      '#!/bin/sh\necho "keychain is locked" >&2\nexit 3\n',
    );
    chmodSync(join(dir, 'docker-credential-strata-bad'), 0o755);
    const authFile = writeConfig('bad-helper.json', { credHelpers: { [reg.host]: 'strata-bad' } });
    const err = await withPath(dir, () =>
      withSource(`${reg.host}/private/app:1`, { authFile }, (src) => errorOf(src.resolve())),
    );
    expect(err).toEqual({
      kind: 'auth',
      message: `credential helper docker-credential-strata-bad failed for ${reg.host} (exit status 3): keychain is locked`,
    });
  });

  describe('redirects', () => {
    let proxy: FaultProxy;
    let cdn: Server;
    let cdnUrl: string;
    const cdnSaw: Array<string | undefined> = [];

    beforeAll(async () => {
      proxy = await startFaultProxy(reg.host);
      const blob = image.layers[0]!.blob;
      cdn = createServer((req, res) => {
        cdnSaw.push(req.headers.authorization);
        res.writeHead(200, { 'content-length': String(blob.length) });
        res.end(blob);
      });
      await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
      cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}/blob?X-Signature=abc`;
    });

    afterAll(async () => {
      await proxy?.stop();
      cdn?.closeAllConnections();
      await new Promise((resolve) => cdn?.close(resolve));
    });

    test('a blob redirected to another host is fetched there without the Authorization header', async () => {
      const layer = image.layers[0]!;
      proxy.addRule({
        path: new RegExp(`/blobs/${layer.digest}$`),
        fault: { kind: 'redirect', location: cdnUrl },
      });
      const seen: string[] = [];
      const bytes = await withSource(
        `${proxy.host}/private/app:1`,
        { username: 'bob', password: 'builder', onRequest: (i) => seen.push(`${i.status} ${i.url}`) },
        async (src) => {
          const img = await src.resolve();
          const chunks: Buffer[] = [];
          for await (const c of await src.openLayer(img.layers[0]!, 0)) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        },
      );
      expect(bytes.equals(layer.blob)).toBe(true);
      expect(proxy.log.find((e) => e.path.endsWith(layer.digest))?.authorization).toBe(basic);
      expect(cdnSaw).toEqual([undefined]);
      expect(seen.slice(-2)).toEqual([
        `307 http://${proxy.host}/v2/private/app/blobs/${layer.digest}`,
        `200 ${cdnUrl}`,
      ]);
    });
  });
});

describe('Bearer tokens', () => {
  let tokens: TokenServer;
  let reg: RunningRegistry;
  let image: PushedImage;

  beforeAll(async () => {
    tokens = await startTokenServer({
      users: { alice: 'wonderland' },
      refreshTokens: { 'refresh-42': 'alice' },
    });
    reg = await startRegistry({ authYaml: tokens.authYaml });
    const push = tokens.issue('alice', [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
    image = await pushImage({ url: reg.url, authorization: `Bearer ${push}` }, 'team/app', '2');
  });

  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  test('username and password: one token, asked with Basic, reused for manifest, config and layers', async () => {
    tokens.requests.length = 0;
    const img = await withSource(
      `${reg.host}/team/app:2`,
      { username: 'alice', password: 'wonderland' },
      pull,
    );
    expect(img.manifest.digest).toBe(image.manifestDigest);
    expect(tokens.requests).toEqual([
      {
        method: 'GET',
        scope: ['repository:team/app:pull'],
        service: tokens.service,
        user: 'alice',
        grantType: undefined,
        status: 200,
      },
    ]);
  });

  test('wrong password: auth error naming the registry', async () => {
    const err = await withSource(
      `${reg.host}/team/app:2`,
      { username: 'alice', password: 'looking-glass' },
      (src) => errorOf(src.resolve()),
    );
    expect(err).toEqual({
      kind: 'auth',
      message: `authentication failed for ${reg.host}: token server refused the credentials: incorrect username or password`,
    });
  });

  test('anonymous, where the token server wants a login: auth error', async () => {
    const authFile = writeConfig('none.json', {});
    const err = await withSource(`${reg.host}/team/app:2`, { authFile }, (src) => errorOf(src.resolve()));
    expect(err).toEqual({
      kind: 'auth',
      message: `authentication required for ${reg.host}, and no credentials were found: anonymous access is not allowed`,
    });
  });

  test('an identity token from config.json is exchanged with the OAuth refresh_token grant', async () => {
    tokens.requests.length = 0;
    const authFile = writeConfig('identity.json', { auths: { [reg.host]: { identitytoken: 'refresh-42' } } });
    const img = await withSource(`${reg.host}/team/app:2`, { authFile }, pull);
    expect(img.config.digest).toBe(image.configDigest);
    expect(tokens.requests.map((r) => [r.method, r.grantType, r.user, r.scope])).toEqual([
      ['POST', 'refresh_token', 'alice', ['repository:team/app:pull']],
    ]);
  });

  test('a helper answering Username "<token>" gives an identity token', async () => {
    tokens.requests.length = 0;
    const helper = installHelper('{"Username":"<token>","Secret":"refresh-42"}');
    const authFile = writeConfig('helper-token.json', { credHelpers: { [reg.host]: 'strata-test' } });
    const img = await withPath(helper.dir, () =>
      withSource(`${reg.host}/team/app:2`, { authFile }, (src) => src.resolve()),
    );
    expect(img.manifest.digest).toBe(image.manifestDigest);
    expect(tokens.requests.map((r) => r.grantType)).toEqual(['refresh_token']);
  });
});
