// Finding the engine the way the docker CLI does: explicit host, DOCKER_HOST, the current context, the
// default socket. The pure rules first, then the real engine reached through each route.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { contextMetaPath, type EndpointEnv, pickEndpoint } from '../../src/engine/endpoint.js';
import { createDockerDaemonSource } from '../../src/transports/docker-daemon.js';
import { peerImage, peers } from '../setup/peers.js';

function fakeEnv(env: Record<string, string>, files: Record<string, string> = {}): EndpointEnv {
  return { env, home: '/home/u', readFile: (p) => files[p] };
}

function contextFiles(configDir: string, name: string, host: string): Record<string, string> {
  const meta = { Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } };
  return { [contextMetaPath(configDir, name)]: JSON.stringify(meta) };
}

describe('pickEndpoint', () => {
  test('the explicit host wins over DOCKER_HOST', () => {
    const e = pickEndpoint('unix:///a.sock', fakeEnv({ DOCKER_HOST: 'unix:///b.sock' }));
    expect(e).toMatchObject({ host: 'unix:///a.sock', socketPath: '/a.sock', source: 'option' });
  });

  test('DOCKER_HOST: unix and plain tcp, with the default port', () => {
    expect(pickEndpoint(undefined, fakeEnv({ DOCKER_HOST: 'unix:///run/x.sock' }))).toMatchObject({
      socketPath: '/run/x.sock',
      source: 'DOCKER_HOST',
    });
    expect(pickEndpoint(undefined, fakeEnv({ DOCKER_HOST: 'tcp://10.0.0.5' }))).toMatchObject({
      host: 'tcp://10.0.0.5:2375',
      origin: 'http://10.0.0.5:2375',
    });
  });

  test('the context store is named by the sha256 of the context name', () => {
    // sha256("default"), as the docker CLI names that context's directory.
    expect(contextMetaPath('/c', 'default')).toBe(
      '/c/contexts/meta/37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f/meta.json',
    );
  });

  test('currentContext from $DOCKER_CONFIG/config.json, else ~/.docker', () => {
    const files = {
      '/cfg/config.json': '{"currentContext":"remote"}',
      ...contextFiles('/cfg', 'remote', 'tcp://192.0.2.1:2375'),
      '/home/u/.docker/config.json': '{"currentContext":"home"}',
      ...contextFiles('/home/u/.docker', 'home', 'unix:///home.sock'),
    };
    expect(pickEndpoint(undefined, fakeEnv({ DOCKER_CONFIG: '/cfg' }, files))).toMatchObject({
      host: 'tcp://192.0.2.1:2375',
      source: 'context',
      context: 'remote',
    });
    expect(pickEndpoint(undefined, fakeEnv({}, files))).toMatchObject({
      host: 'unix:///home.sock',
      context: 'home',
    });
  });

  test('DOCKER_CONTEXT overrides currentContext; "default" means the default socket', () => {
    const files = {
      '/home/u/.docker/config.json': '{"currentContext":"home"}',
      ...contextFiles('/home/u/.docker', 'other', 'unix:///other.sock'),
    };
    expect(pickEndpoint(undefined, fakeEnv({ DOCKER_CONTEXT: 'other' }, files)).host).toBe(
      'unix:///other.sock',
    );
    expect(pickEndpoint(undefined, fakeEnv({ DOCKER_CONTEXT: 'default' }, files))).toMatchObject({
      host: 'unix:///var/run/docker.sock',
      source: 'default',
    });
  });

  test('nothing configured: the default socket', () => {
    expect(pickEndpoint(undefined, fakeEnv({}))).toMatchObject({
      host: 'unix:///var/run/docker.sock',
      socketPath: '/var/run/docker.sock',
      source: 'default',
    });
  });

  test('errors: a context that does not exist, a scheme strata does not speak, TLS', () => {
    expect(() => pickEndpoint(undefined, fakeEnv({ DOCKER_CONTEXT: 'gone' }))).toThrow(
      expect.objectContaining({ kind: 'not-found', message: expect.stringContaining('"gone"') }),
    );
    expect(() => pickEndpoint('ssh://me@host', fakeEnv({}))).toThrow(
      expect.objectContaining({ kind: 'unsupported' }),
    );
    expect(() =>
      pickEndpoint(undefined, fakeEnv({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' })),
    ).toThrow(expect.objectContaining({ kind: 'unsupported' }));
    expect(() =>
      pickEndpoint(
        undefined,
        fakeEnv({ DOCKER_CONFIG: '/cfg' }, { '/cfg/config.json': '{"currentContext":' }),
      ),
    ).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
});

describe('the real engine through each route', () => {
  const ref = peerImage('deletes').dockerRef;
  const configDir = mkdtempSync(join(tmpdir(), 'strata-dockercfg-'));

  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    rmSync(configDir, { recursive: true, force: true });
  });

  async function resolveWithEnv(): Promise<string> {
    const source = await createDockerDaemonSource({ transport: 'docker-daemon', name: ref }, {});
    try {
      return (await source.resolve()).config.digest;
    } finally {
      await source.close();
    }
  }

  test('via DOCKER_HOST', async () => {
    vi.stubEnv('DOCKER_HOST', peers().dockerHost);
    vi.stubEnv('DOCKER_CONTEXT', undefined);
    expect(await resolveWithEnv()).toMatch(/^sha256:/);
  });

  test('via the current context of a DOCKER_CONFIG dir', async () => {
    for (const [path, text] of Object.entries(contextFiles(configDir, 'strata-test', peers().dockerHost))) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ currentContext: 'strata-test' }));
    vi.stubEnv('DOCKER_HOST', undefined);
    vi.stubEnv('DOCKER_CONTEXT', undefined);
    vi.stubEnv('DOCKER_CONFIG', configDir);
    expect(await resolveWithEnv()).toMatch(/^sha256:/);
  });
});
