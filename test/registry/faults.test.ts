import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { beforeAll, describe, expect, test } from 'vitest';
import { MediaType } from '../../src/oci/mediatypes.js';
import type { ImageSource } from '../../src/transports/types.js';
import { flipByte, truncate } from '../helpers/fault-proxy.js';
import { type PushedImage, makeLayer, noise, pushImage } from '../helpers/registry-fixtures.js';
import { errorOf } from '../helpers/errors.js';
import { FAST_RETRY, proxiedRegistry } from '../helpers/proxied-registry.js';
import { withRegistrySource } from '../helpers/registry-source.js';

const env = proxiedRegistry();
let app: PushedImage;
let big: PushedImage;
const BIG = 400_000;
const fast = FAST_RETRY;

beforeAll(async () => {
  app = await pushImage({ url: env.reg.url }, 'app', '1');
  const layer = await makeLayer([{ name: 'big.bin', content: noise(BIG, 7) }], { gzip: false });
  big = await pushImage({ url: env.reg.url }, 'big', 'latest', { layers: [layer] });
});

function withSource<T>(text: string, fn: (src: ImageSource) => Promise<T>, options = fast): Promise<T> {
  return withRegistrySource(text, options, fn);
}

async function digestOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

const requests = (pathPart: string) => env.proxy.log.filter((e) => e.path.includes(pathPart));

describe('corruption', () => {
  test('a manifest fetched by digest whose bytes changed: digest-mismatch', async () => {
    env.proxy.addRule({
      path: new RegExp(`/manifests/${app.manifestDigest}$`),
      fault: { kind: 'rewrite', transform: flipByte(40) },
    });
    const err = await withSource(`${env.proxy.host}/app@${app.manifestDigest}`, (src) =>
      errorOf(src.resolve()),
    );
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toMatch(
      new RegExp(
        `^manifest ${env.proxy.host}/app@${app.manifestDigest}: digest mismatch: expected ${app.manifestDigest}, got sha256:`,
      ),
    );
  });

  test('a manifest fetched by tag that disagrees with Docker-Content-Digest: digest-mismatch', async () => {
    env.proxy.addRule({
      path: /\/manifests\/1$/,
      fault: { kind: 'rewrite', transform: flipByte(40), keepDigestHeader: true },
    });
    const err = await withSource(`${env.proxy.host}/app:1`, (src) => errorOf(src.resolve()));
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toContain(`expected ${app.manifestDigest}`);
  });

  test('a corrupted config: digest-mismatch', async () => {
    env.proxy.addRule({
      path: new RegExp(`/blobs/${app.configDigest}$`),
      fault: { kind: 'rewrite', transform: flipByte(5) },
    });
    const err = await withSource(`${env.proxy.host}/app:1`, (src) => errorOf(src.resolve()));
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toMatch(/^image config sha256:[0-9a-f]{64} of .*: digest mismatch/);
  });

  test('a corrupted layer blob: the stream fails with digest-mismatch at its end', async () => {
    const layer = app.layers[0]!;
    env.proxy.addRule({
      path: new RegExp(`/blobs/${layer.digest}$`),
      fault: { kind: 'rewrite', transform: flipByte(30) },
    });
    const err = await withSource(`${env.proxy.host}/app:1`, async (src) => {
      const img = await src.resolve();
      return errorOf(digestOf(await src.openLayer(img.layers[0]!, 0)));
    });
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toContain(`layer 0 (${layer.digest}) of ${env.proxy.host}/app:1: digest mismatch`);
  });

  test('a truncated manifest: invalid', async () => {
    env.proxy.addRule({ path: /\/manifests\/1$/, fault: { kind: 'rewrite', transform: truncate(100) } });
    const err = await withSource(`${env.proxy.host}/app:1`, (src) => errorOf(src.resolve()));
    expect(err.kind).toBe('invalid');
    // parseJSON's wording depends on where the cut falls ("truncated" or "not valid JSON … at position 100").
    expect(err.message).toMatch(
      new RegExp(`^manifest ${env.proxy.host}/app:1 is (truncated|not valid JSON.*position 100)`),
    );
  });

  test('a schema 1 manifest: unsupported', async () => {
    const schema1 = JSON.stringify({
      schemaVersion: 1,
      name: 'app',
      tag: '1',
      architecture: 'amd64',
      fsLayers: [],
      history: [],
    });
    env.proxy.addRule({
      path: /\/manifests\/1$/,
      fault: { kind: 'replace', body: schema1, contentType: MediaType.dockerSchema1Signed },
    });
    const err = await withSource(`${env.proxy.host}/app:1`, (src) => errorOf(src.resolve()));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toContain('schema 1');
  });
});

describe('retries', () => {
  test('500 twice, then success: retried', async () => {
    env.proxy.addRule({ path: /\/manifests\/1$/, times: 2, fault: { kind: 'status', status: 500 } });
    const img = await withSource(`${env.proxy.host}/app:1`, (src) => src.resolve());
    expect(img.manifest.digest).toBe(app.manifestDigest);
    expect(requests('/manifests/1').map((e) => e.status)).toEqual([500, 500, 200]);
  });

  test('500 every time: a registry error after 4 attempts', async () => {
    env.proxy.addRule({ path: /\/manifests\/1$/, fault: { kind: 'status', status: 503 } });
    const err = await withSource(`${env.proxy.host}/app:1`, (src) => errorOf(src.resolve()));
    expect(err.kind).toBe('registry');
    expect(err.message).toBe(
      `registry ${env.proxy.host} answered 503 for ${env.proxy.host}/app:1: UNKNOWN: injected failure`,
    );
    expect(requests('/manifests/1')).toHaveLength(4);
  });

  test('429 with Retry-After is honoured', async () => {
    env.proxy.addRule({
      path: /\/manifests\/1$/,
      times: 1,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    });
    const started = Date.now();
    const img = await withSource(`${env.proxy.host}/app:1`, (src) => src.resolve());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(img.manifest.digest).toBe(app.manifestDigest);
    expect(requests('/manifests/1').map((e) => e.status)).toEqual([429, 200]);
  });

  test('a connection dropped while reading a manifest is retried', async () => {
    env.proxy.addRule({ path: /\/manifests\/1$/, times: 1, fault: { kind: 'drop', afterBytes: 50 } });
    const img = await withSource(`${env.proxy.host}/app:1`, (src) => src.resolve());
    expect(img.manifest.digest).toBe(app.manifestDigest);
    expect(requests('/manifests/1')).toHaveLength(2);
  });
});

describe('resumed blob downloads', () => {
  const layerPath = () => new RegExp(`/blobs/${big.layers[0]!.digest}$`);

  test('a download dropped halfway continues with Range', async () => {
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'drop', afterBytes: 150_000 } });
    const digest = await withSource(`${env.proxy.host}/big:latest`, async (src) => {
      const img = await src.resolve();
      return digestOf(await src.openLayer(img.layers[0]!, 0));
    });
    expect(digest).toBe(big.layers[0]!.digest);
    const tries = requests(big.layers[0]!.digest);
    expect(tries.map((e) => [e.status, e.range])).toEqual([
      [200, undefined],
      [206, 'bytes=150000-'],
    ]);
  });

  test('a server that ignores Range sends it all again; the bytes already given are skipped', async () => {
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'drop', afterBytes: 100_000 } });
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'strip-range' } });
    const digest = await withSource(`${env.proxy.host}/big:latest`, async (src) => {
      const img = await src.resolve();
      return digestOf(await src.openLayer(img.layers[0]!, 0));
    });
    expect(digest).toBe(big.layers[0]!.digest);
    expect(requests(big.layers[0]!.digest).map((e) => e.status)).toEqual([200, 200]);
  });

  test('a download that keeps breaking off: unreachable after a bounded number of resumes', async () => {
    env.proxy.addRule({ path: layerPath(), fault: { kind: 'drop', afterBytes: 10_000 } });
    const err = await withSource(`${env.proxy.host}/big:latest`, async (src) => {
      const img = await src.resolve();
      return errorOf(digestOf(await src.openLayer(img.layers[0]!, 0)));
    });
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/kept breaking off/);
    // The first request and 4 resumes; each resume moved forward by 10 000 bytes.
    expect(requests(big.layers[0]!.digest).map((e) => e.range)).toEqual([
      undefined,
      'bytes=10000-',
      'bytes=20000-',
      'bytes=30000-',
      'bytes=40000-',
    ]);
  });
});
