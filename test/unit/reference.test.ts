import { describe, expect, test } from 'vitest';
import { StrataError } from '../../src/errors.js';
import {
  familiarName,
  formatReference,
  parseReference,
  registryHost,
} from '../../src/reference/reference.js';
import { parseLocation } from '../../src/reference/transport.js';

describe('Docker reference rules', () => {
  test.each([
    ['busybox', 'docker.io', 'library/busybox', 'latest', undefined],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined],
    ['user/app', 'docker.io', 'user/app', 'latest', undefined],
    ['index.docker.io/library/redis:7', 'docker.io', 'library/redis', '7', undefined],
    ['localhost/app', 'localhost', 'app', 'latest', undefined],
    ['localhost:5000/a/b:c', 'localhost:5000', 'a/b', 'c', undefined],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app', 'latest', undefined],
    ['ghcr.io/org/tool:v1.2.3', 'ghcr.io', 'org/tool', 'v1.2.3', undefined],
    [
      `busybox@sha256:${'a'.repeat(64)}`,
      'docker.io',
      'library/busybox',
      undefined,
      `sha256:${'a'.repeat(64)}`,
    ],
    [`quay.io/x/y:t@sha256:${'b'.repeat(64)}`, 'quay.io', 'x/y', 't', `sha256:${'b'.repeat(64)}`],
  ])('%s', (text, domain, path, tag, digest) => {
    expect(parseReference(text)).toEqual({ domain, path, tag, digest });
  });

  test.each(['', 'app/UPPER', 'a//b', 'app:bad tag', 'app@sha256:xyz', 'a/-b'])('rejects %j', (text) => {
    expect(() => parseReference(text)).toThrow(StrataError);
  });

  test('familiar names and hosts', () => {
    const hub = parseReference('busybox');
    expect(familiarName(hub)).toBe('busybox');
    expect(formatReference(hub)).toBe('docker.io/library/busybox:latest');
    expect(formatReference(hub, true)).toBe('busybox:latest');
    expect(registryHost(hub)).toBe('registry-1.docker.io');
    expect(familiarName(parseReference('127.0.0.1:5000/a/b'))).toBe('127.0.0.1:5000/a/b');
  });
});

describe('transport prefixes', () => {
  test('bare references and docker:// go to the registry', () => {
    expect(parseLocation('localhost:5000/app:1')).toMatchObject({
      transport: 'docker',
      ref: { domain: 'localhost:5000' },
    });
    expect(parseLocation('docker://busybox')).toMatchObject({
      transport: 'docker',
      ref: { path: 'library/busybox' },
    });
  });
  test('file transports split path and tag at the first colon', () => {
    expect(parseLocation('docker-archive:/tmp/x.tar:app:1')).toEqual({
      transport: 'docker-archive',
      path: '/tmp/x.tar',
      tag: 'app:1',
    });
    expect(parseLocation('docker-archive:x.tar:@2')).toEqual({
      transport: 'docker-archive',
      path: 'x.tar',
      index: 2,
    });
    expect(parseLocation('oci:/tmp/layout:v1')).toEqual({ transport: 'oci', path: '/tmp/layout', tag: 'v1' });
    const d = `sha256:${'c'.repeat(64)}`;
    expect(parseLocation(`oci-archive:/tmp/a.tar@${d}`)).toEqual({
      transport: 'oci-archive',
      path: '/tmp/a.tar',
      digest: d,
    });
    expect(parseLocation('docker-daemon:busybox:latest')).toEqual({
      transport: 'docker-daemon',
      name: 'busybox:latest',
    });
  });
  test('a transport without its argument is a usage error', () => {
    expect(() => parseLocation('docker-archive:')).toThrow(/needs a path/);
    expect(() => parseLocation('docker-daemon:')).toThrow(/needs an image/);
  });
});
