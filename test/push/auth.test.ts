/** Pushing to registries that want credentials: htpasswd (Basic) and a token server (Bearer, scopes). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { tokenRequest } from '../../src/registry/auth.js';
import { RegistryClient } from '../../src/registry/client.js';
import { type RunningRegistry, startRegistry } from '../helpers/registry.js';
import { noise } from '../helpers/registry-fixtures.js';
import { type TokenServer, startTokenServer } from '../helpers/token-server.js';
import { peerImage } from '../setup/peers.js';
import { errorOf, freshRepo, openDest, openFixture, pushImage } from './push-helpers.js';

const bytes = noise(50_000, 11);
const blob = { mediaType: MediaType.dockerLayer, digest: sha256(bytes), size: bytes.length };
const stream = () => Readable.from([bytes]);

test('a token request for several scopes repeats scope (GET) or space-joins it (refresh POST)', () => {
  const challenge = { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg' } };
  const scopes = ['repository:a/b:pull,push', 'repository:c/d:pull'];
  const get = tokenRequest(challenge, scopes, undefined);
  expect(new URL(get.url).searchParams.getAll('scope')).toEqual(scopes);
  const post = tokenRequest(challenge, scopes, { kind: 'identity-token', token: 'rt' });
  expect(new URLSearchParams(String(post.body)).get('scope')).toBe(scopes.join(' '));
});

describe('htpasswd auth', () => {
  let reg: RunningRegistry;
  const tmp = mkdtempSync(join(tmpdir(), 'strata-push-auth-'));

  beforeAll(async () => {
    const htpasswd = join(tmp, 'htpasswd');
    writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', 'bob', 'builder']));
    reg = await startRegistry({ authYaml: `  htpasswd:\n    realm: strata-test\n    path: ${htpasswd}` });
  });

  afterAll(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('right credentials: the image is pushed and reads back', async () => {
    const repo = freshRepo('private');
    const options = { username: 'bob', password: 'builder', authFile: '/nonexistent' };
    const src = await openFixture(peerImage('links'));
    const dest = await openDest(`${reg.host}/${repo}:1`, options);
    try {
      const pushed = await pushImage(src, dest);
      const c = new RegistryClient(reg.host, options);
      try {
        expect((await c.getManifest(repo, '1')).digest).toBe(pushed.digest);
      } finally {
        await c.close();
      }
    } finally {
      await Promise.all([src.close(), dest.close()]);
    }
  });

  test('wrong password: an auth error, nothing stored', async () => {
    const repo = freshRepo('private');
    const dest = await openDest(`${reg.host}/${repo}:1`, {
      username: 'bob',
      password: 'nope',
      authFile: '/nonexistent',
    });
    try {
      const err = await errorOf(dest.putBlob(blob, stream()));
      expect(err).toEqual({
        kind: 'auth',
        message: `authentication failed for ${reg.host}: the registry refused the credentials (authentication required)`,
      });
    } finally {
      await dest.close();
    }
  });
});

describe('token auth', () => {
  let tokens: TokenServer;
  let reg: RunningRegistry;
  const options = { username: 'alice', password: 'secret', authFile: '/nonexistent' };

  beforeAll(async () => {
    tokens = await startTokenServer({ users: { alice: 'secret' } });
    reg = await startRegistry({ authYaml: tokens.authYaml });
  });

  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  test('one pull,push token serves the upload; a mount asks for the source pull scope too', async () => {
    const from = freshRepo('from');
    const to = freshRepo('to');
    const first = await openDest(`${reg.host}/${from}:1`, options);
    try {
      expect(await first.putBlob(blob, stream())).toEqual(blob);
    } finally {
      await first.close();
    }
    expect(tokens.requests.map((r) => r.scope)).toEqual([[`repository:${from}:pull,push`]]);
    tokens.requests.length = 0;
    const second = await openDest(`${reg.host}/${to}:1`, options);
    try {
      expect(await second.mountBlob!(blob, from)).toBe(true);
      expect(await second.hasBlob(blob)).toBe(true);
    } finally {
      await second.close();
    }
    expect(tokens.requests.map((r) => [r.status, ...r.scope])).toEqual([
      [200, `repository:${to}:pull,push`, `repository:${from}:pull`],
      [200, `repository:${to}:pull,push`],
    ]);
  });

  test('a user the token server refuses gets an auth error', async () => {
    const dest = await openDest(`${reg.host}/${freshRepo('x')}:1`, { ...options, password: 'wrong' });
    try {
      const err = await errorOf(dest.putBlob(blob, stream()));
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(/^authentication failed for .*: token server refused the credentials/);
    } finally {
      await dest.close();
    }
  });
});
