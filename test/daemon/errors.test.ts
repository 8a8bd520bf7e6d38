// What the user sees when the engine cannot be reached or does not have the image.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createDockerDaemonSource } from '../../src/transports/docker-daemon.js';
import { peers } from '../setup/peers.js';

const dir = mkdtempSync('/tmp/strata-noengine-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (name: string, dockerHost: string) =>
  createDockerDaemonSource({ transport: 'docker-daemon', name }, { dockerHost });

async function resolveError(name: string): Promise<unknown> {
  const source = await open(name, peers().dockerHost);
  try {
    return await source.resolve().catch((e: unknown) => e);
  } finally {
    await source.close();
  }
}

test('a missing socket is unreachable, naming the endpoint, with a hint', async () => {
  const host = `unix://${join(dir, 'docker.sock')}`;
  const err = await open('busybox', host).catch((e: unknown) => e);
  expect(err).toMatchObject({
    name: 'StrataError',
    kind: 'unreachable',
    message: `cannot reach the Docker Engine at ${host}: no such file`,
    hint: 'is dockerd running? set DOCKER_HOST',
  });
});

test('a socket nobody listens on is unreachable: connection refused', async () => {
  const path = join(dir, 'dead.sock');
  writeFileSync(path, '');
  const err = await open('busybox', `unix://${path}`).catch((e: unknown) => e);
  expect(err).toMatchObject({
    kind: 'unreachable',
    message: `cannot reach the Docker Engine at unix://${path}: connection refused`,
  });
});

test('an unknown image is not-found, named as Docker names it', async () => {
  expect(await resolveError('nope')).toMatchObject({
    kind: 'not-found',
    message: 'no such image in the Docker Engine: nope:latest',
  });
  expect(await resolveError('strata-fixture/nope:2')).toMatchObject({
    kind: 'not-found',
    message: 'no such image in the Docker Engine: strata-fixture/nope:2',
  });
});

test('a name the engine will not parse is a usage error carrying the engine’s reason', async () => {
  expect(await resolveError('UPPER')).toMatchObject({
    kind: 'usage',
    message: 'invalid image name "UPPER": invalid reference format: repository name must be lowercase',
  });
});
