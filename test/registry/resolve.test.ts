import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { MediaType } from '../../src/oci/mediatypes.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseLocation } from '../../src/reference/transport.js';
import type { RequestInfo } from '../../src/registry/http.js';
import { type RegistrySourceOptions, createRegistrySource } from '../../src/transports/registry.js';
import type { ImageSource } from '../../src/transports/types.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { type RunningRegistry, startRegistry } from '../helpers/registry.js';
import {
  type LayerFixture,
  type PushedImage,
  type PushedIndex,
  makeLayer,
  noise,
  pushImage,
  pushIndex,
} from '../helpers/registry-fixtures.js';
import { errorOf } from '../helpers/errors.js';

let reg: RunningRegistry;
let dockerImage: PushedImage;
let ociImage: PushedImage;
let amd64: PushedImage;
let arm64: PushedImage;
let index: PushedIndex;
let bigImage: PushedImage;

beforeAll(async () => {
  reg = await startRegistry();
  const api = { url: reg.url };
  dockerImage = await pushImage(api, 'app', '1', { format: 'docker' });
  ociImage = await pushImage(api, 'oci/app', 'v1', { format: 'oci' });
  amd64 = await pushImage(api, 'multi', undefined, {
    format: 'oci',
    platform: { os: 'linux', architecture: 'amd64' },
  });
  arm64 = await pushImage(api, 'multi', undefined, {
    format: 'oci',
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  });
  index = await pushIndex(api, 'multi', 'latest', [amd64, arm64]);
  const big = await makeLayer([{ name: 'big.bin', content: noise(300_000) }]);
  bigImage = await pushImage(api, 'big', 'latest', { layers: [big] });
});

afterAll(async () => {
  await reg?.stop();
});

async function open(text: string, options: RegistrySourceOptions = {}): Promise<ImageSource> {
  const loc = parseLocation(text);
  if (loc.transport !== 'docker') throw new Error('not a registry reference');
  return createRegistrySource(loc, options);
}

async function digestOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

describe('resolve, anonymous', () => {
  test('a Docker schema2 image by tag', async () => {
    const src = await open(`docker://${reg.host}/app:1`);
    try {
      const img = await src.resolve();
      expect(src.name).toBe(`docker://${reg.host}/app:1`);
      expect(img.index).toBeUndefined();
      expect(img.manifest.bytes.equals(dockerImage.manifest)).toBe(true);
      expect(img.manifest.digest).toBe(dockerImage.manifestDigest);
      expect(img.manifest.mediaType).toBe(MediaType.dockerManifest);
      expect(img.config.bytes.equals(dockerImage.config)).toBe(true);
      expect(img.config.digest).toBe(dockerImage.configDigest);
      expect(img.layers).toEqual(
        dockerImage.layers.map((l) => ({
          mediaType: MediaType.dockerLayerGzip,
          digest: l.digest,
          size: l.size,
          compression: 'gzip',
          foreign: false,
        })),
      );
      expect(img.facts).toEqual({
        repoTags: [`${reg.host}/app:1`],
        repoDigests: [`${reg.host}/app@${dockerImage.manifestDigest}`],
      });
    } finally {
      await src.close();
    }
  });

  test('the same image by digest has no tag', async () => {
    const src = await open(`${reg.host}/app@${dockerImage.manifestDigest}`);
    try {
      const img = await src.resolve();
      expect(img.manifest.digest).toBe(dockerImage.manifestDigest);
      expect(img.facts.repoTags).toEqual([]);
      expect(img.facts.repoDigests).toEqual([`${reg.host}/app@${dockerImage.manifestDigest}`]);
    } finally {
      await src.close();
    }
  });

  test('an OCI image in a nested repository', async () => {
    const src = await open(`${reg.host}/oci/app:v1`);
    try {
      const img = await src.resolve();
      expect(img.manifest.mediaType).toBe(MediaType.ociManifest);
      expect(img.config.mediaType).toBe(MediaType.ociConfig);
      expect(img.layers.map((l) => l.mediaType)).toEqual([MediaType.ociLayerGzip, MediaType.ociLayerGzip]);
      expect(img.config.digest).toBe(ociImage.configDigest);
    } finally {
      await src.close();
    }
  });

  test('an index: the platform asked for is chosen, and repoDigests names the index', async () => {
    const src = await open(`${reg.host}/multi:latest`);
    try {
      const arm = await src.resolve({ platform: parsePlatform('linux/arm64') });
      expect(arm.index?.digest).toBe(index.digest);
      expect(arm.index?.mediaType).toBe(MediaType.ociIndex);
      expect(arm.manifest.digest).toBe(arm64.manifestDigest);
      expect(arm.config.digest).toBe(arm64.configDigest);
      expect(arm.facts.repoDigests).toEqual([`${reg.host}/multi@${index.digest}`]);
      const amd = await src.resolve({ platform: parsePlatform('linux/amd64') });
      expect(amd.manifest.digest).toBe(amd64.manifestDigest);
    } finally {
      await src.close();
    }
  });

  test('an index without the platform: not-found listing what there is', async () => {
    const src = await open(`${reg.host}/multi:latest`);
    try {
      const err = await errorOf(src.resolve({ platform: parsePlatform('linux/s390x') }));
      expect(err.kind).toBe('not-found');
      expect(err.message).toBe(
        `no image for linux/s390x in ${reg.host}/multi:latest; available: linux/amd64, linux/arm64/v8`,
      );
    } finally {
      await src.close();
    }
  });
});

describe('openLayer', () => {
  test('streams the blob as stored, verified, and it unpacks', async () => {
    const src = await open(`${reg.host}/app:1`);
    try {
      const img = await src.resolve();
      const first = img.layers[0]!;
      const stream = await src.openLayer(first, 0);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const blob = Buffer.concat(chunks);
      expect(blob.equals(dockerImage.layers[0]!.blob)).toBe(true);
      expect(gunzipSync(blob).toString('latin1')).toContain('hello app');
    } finally {
      await src.close();
    }
  });

  test('a 300 kB layer streams in several chunks and matches its digest', async () => {
    const src = await open(`${reg.host}/big:latest`);
    try {
      const img = await src.resolve();
      const stream = await src.openLayer(img.layers[0]!, 0);
      expect(await digestOf(stream)).toBe(bigImage.layers[0]!.digest);
    } finally {
      await src.close();
    }
  });
  test('a consumer may stop early; the download is abandoned cleanly', async () => {
    const src = await open(`${reg.host}/big:latest`);
    try {
      const img = await src.resolve();
      const stream = await src.openLayer(img.layers[0]!, 0);
      const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
      expect(first.length).toBeGreaterThan(0);
      stream.destroy();
      await new Promise((resolve) => stream.once('close', resolve));
      // The client still works afterwards.
      expect(await digestOf(await src.openLayer(img.layers[0]!, 0))).toBe(bigImage.layers[0]!.digest);
    } finally {
      await src.close();
    }
  });
});

describe('failures', () => {
  test('unknown tag: not-found with the registry code', async () => {
    const src = await open(`${reg.host}/app:nope`);
    try {
      const err = await errorOf(src.resolve());
      expect(err).toEqual({ kind: 'not-found', message: `manifest unknown: ${reg.host}/app:nope` });
    } finally {
      await src.close();
    }
  });

  test('unknown repository: not-found', async () => {
    const src = await open(`${reg.host}/no/such/repo:1`);
    try {
      const err = await errorOf(src.resolve());
      // distribution 2.8 answers MANIFEST_UNKNOWN here; other registries say NAME_UNKNOWN.
      expect(err).toEqual({ kind: 'not-found', message: `manifest unknown: ${reg.host}/no/such/repo:1` });
    } finally {
      await src.close();
    }
  });

  test('unknown layer blob: not-found', async () => {
    const src = await open(`${reg.host}/app:1`);
    try {
      const layer = { ...(await src.resolve()).layers[0]!, digest: `sha256:${'0'.repeat(64)}` };
      const err = await errorOf(src.openLayer(layer, 0));
      expect(err.kind).toBe('not-found');
      expect(err.message).toBe(`blob unknown to registry: ${reg.host}/app@sha256:${'0'.repeat(64)}`);
    } finally {
      await src.close();
    }
  });

  test('nothing listening: unreachable, without retrying', async () => {
    const seen: RequestInfo[] = [];
    const src = await open('127.0.0.1:1/app:1', { onRequest: (i) => seen.push(i) });
    try {
      const err = await errorOf(src.resolve());
      expect(err).toEqual({
        kind: 'unreachable',
        message: 'cannot reach registry 127.0.0.1:1: connection refused',
      });
      expect(seen).toEqual([
        { method: 'GET', url: 'http://127.0.0.1:1/v2/', status: 0, error: 'connection refused' },
      ]);
    } finally {
      await src.close();
    }
  });
});

describe('what resolve fetches', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(reg.host);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  test('only the manifests and the config, never a layer blob', async () => {
    proxy.log.length = 0;
    const hook: string[] = [];
    const src = await open(`${proxy.host}/multi:latest`, {
      onRequest: (i) => hook.push(`${i.method} ${i.url} ${i.status}`),
    });
    try {
      await src.resolve({ platform: parsePlatform('linux/arm64/v8') });
    } finally {
      await src.close();
    }
    expect(proxy.log.map((e) => `${e.method} ${e.path}`)).toEqual([
      'GET /v2/',
      'GET /v2/multi/manifests/latest',
      `GET /v2/multi/manifests/${arm64.manifestDigest}`,
      `GET /v2/multi/blobs/${arm64.configDigest}`,
    ]);
    expect(hook).toEqual(proxy.log.map((e) => `${e.method} http://${proxy.host}${e.path} ${e.status}`));
  });
});

describe('foreign (non-distributable) layers', () => {
  let server: Server;
  let proxy: FaultProxy;
  let base: string;
  let foreign: LayerFixture;

  /** distribution 2.8 refuses manifests with foreign URLs by default, so the proxy serves them. */
  function serveManifest(tag: string, urls: string[], configDigest: string, configSize: number): void {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configSize },
      layers: [
        { mediaType: MediaType.dockerForeignLayerGzip, digest: foreign.digest, size: foreign.size, urls },
      ],
    });
    proxy.addRule({
      path: new RegExp(`/v2/foreign/manifests/${tag}$`),
      fault: { kind: 'replace', body: manifest, contentType: MediaType.dockerManifest },
    });
  }

  beforeAll(async () => {
    foreign = await makeLayer([{ name: 'windows/base.txt', content: 'licensed bytes\n' }]);
    server = createServer((req, res) => {
      if (req.url === '/good') {
        res.end(foreign.blob);
      } else if (req.url === '/corrupt') {
        const bad = Buffer.from(foreign.blob);
        bad[20] = (bad[20] ?? 0) ^ 1;
        res.end(bad);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    proxy = await startFaultProxy(reg.host);
    // The registry holds the layer and config, so falling back to it can succeed.
    const pushed = await pushImage({ url: reg.url }, 'foreign', 'stored', { layers: [foreign] });
    const cfg = [pushed.configDigest, pushed.config.length] as const;
    serveManifest('urls', [`${base}/missing`, `${base}/good`], ...cfg);
    serveManifest('fallback', [`${base}/missing`], ...cfg);
    serveManifest('corrupt', [`${base}/corrupt`], ...cfg);
  });

  afterAll(async () => {
    await proxy?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function readLayer(tag: string): Promise<{ digest: string; urls: string[] }> {
    const urls: string[] = [];
    const src = await open(`${proxy.host}/foreign:${tag}`, { onRequest: (i) => urls.push(i.url) });
    try {
      const img = await src.resolve();
      expect(img.layers[0]).toMatchObject({ foreign: true, compression: 'gzip' });
      urls.length = 0;
      return { digest: await digestOf(await src.openLayer(img.layers[0]!, 0)), urls };
    } finally {
      await src.close();
    }
  }

  test('are fetched from their URLs in order, not from the registry', async () => {
    const { digest, urls } = await readLayer('urls');
    expect(digest).toBe(foreign.digest);
    expect(urls).toEqual([`${base}/missing`, `${base}/good`]);
  });

  test('fall back to the registry when no URL serves them', async () => {
    const { digest, urls } = await readLayer('fallback');
    expect(digest).toBe(foreign.digest);
    expect(urls).toEqual([`${base}/missing`, `http://${proxy.host}/v2/foreign/blobs/${foreign.digest}`]);
  });

  test('are verified when they come from a URL', async () => {
    const err = await errorOf(readLayer('corrupt'));
    expect(err.kind).toBe('digest-mismatch');
  });

  test('are downloaded into a file from their URLs too (a pull into the store), verified', async () => {
    const download = async (tag: string) => {
      const file = join(mkdtempSync(join(tmpdir(), 'strata-foreign-')), 'blob');
      const src = await open(`${proxy.host}/foreign:${tag}`, {});
      try {
        const img = await src.resolve();
        await src.downloadLayer!(img.layers[0]!, 0, file);
      } finally {
        await src.close();
      }
      return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
    };
    expect(await download('urls')).toBe(foreign.digest);
    expect((await errorOf(download('corrupt'))).kind).toBe('digest-mismatch');
  });
});

describe('STRATA_DEBUG_HTTP=1', () => {
  test('logs every request to stderr', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    process.env.STRATA_DEBUG_HTTP = '1';
    const src = await open(`${reg.host}/app:nope`);
    try {
      await errorOf(src.resolve());
    } finally {
      delete process.env.STRATA_DEBUG_HTTP;
      spy.mockRestore();
      await src.close();
    }
    expect(lines).toEqual([
      `strata: http: GET http://${reg.host}/v2/ -> 200\n`,
      `strata: http: GET http://${reg.host}/v2/app/manifests/nope -> 404\n`,
    ]);
  });
});
