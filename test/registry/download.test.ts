// Blob downloads into a file (what a pull into the store uses), on the calling thread and on a worker:
// the same faults as the streamed downloads, against the real registry behind the fault proxy, and the
// file left holding exactly the blob.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RequestInfo } from '../../src/registry/http.js';
import { downloadPolicy } from '../../src/threads/pool.js';
import type { RegistrySourceOptions } from '../../src/transports/registry.js';
import type { ImageSource } from '../../src/transports/types.js';
import { errorOf } from '../helpers/errors.js';
import { flipByte, startFaultProxy } from '../helpers/fault-proxy.js';
import { type PushedImage, makeLayer, noise, pushImage } from '../helpers/registry-fixtures.js';
import { FAST_RETRY, proxiedRegistry } from '../helpers/proxied-registry.js';
import { withRegistrySource } from '../helpers/registry-source.js';

const env = proxiedRegistry();
let big: PushedImage;
let scratch: string;
const BIG = 400_000;
const fast = FAST_RETRY;

beforeAll(async () => {
  const layer = await makeLayer([{ name: 'big.bin', content: noise(BIG, 11) }]);
  big = await pushImage({ url: env.reg.url }, 'dl', '1', { layers: [layer] });
  scratch = mkdtempSync(join(tmpdir(), 'strata-download-'));
});

const digest = () => big.layers[0]!.digest;
const layerPath = () => new RegExp(`/blobs/${digest()}$`);
const tries = () => env.proxy.log.filter((e) => e.path.endsWith(digest()));
const sha256File = (file: string) =>
  `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
let files = 0;

/** Download the image's layer into a new file; returns the file. */
async function download(options: RegistrySourceOptions = fast, host = env.proxy.host): Promise<string> {
  const file = join(scratch, `blob-${files++}`);
  await withRegistrySource(`${host}/dl:1`, options, async (src: ImageSource) => {
    const img = await src.resolve();
    await src.downloadLayer!(img.layers[0]!, 0, file);
  });
  return file;
}

describe.each([
  ['on this thread', 1],
  ['on a worker thread', 0],
])('a blob downloaded into a file %s', (_where, onThisThread) => {
  beforeAll(() => {
    downloadPolicy.onThisThread = onThisThread;
  });
  afterAll(() => {
    downloadPolicy.onThisThread = 1;
  });

  test('holds exactly the blob', async () => {
    const file = await download();
    expect(sha256File(file)).toBe(digest());
    expect(tries().map((e) => [e.status, e.range])).toEqual([[200, undefined]]);
  });

  test('a connection dropped halfway continues with Range: the bytes received are not fetched again', async () => {
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'drop', afterBytes: 150_000 } });
    const file = await download();
    expect(sha256File(file)).toBe(digest());
    expect(tries().map((e) => [e.status, e.range])).toEqual([
      [200, undefined],
      [206, 'bytes=150000-'],
    ]);
  });

  test('a server that ignores Range sends it all again; the bytes already written are skipped', async () => {
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'drop', afterBytes: 100_000 } });
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'strip-range' } });
    const file = await download();
    expect(sha256File(file)).toBe(digest());
    expect(tries().map((e) => e.status)).toEqual([200, 200]);
  });

  test('a download that keeps breaking off: unreachable after a bounded number of resumes', async () => {
    env.proxy.addRule({ path: layerPath(), fault: { kind: 'drop', afterBytes: 10_000 } });
    const err = await errorOf(download());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/kept breaking off \(50000 bytes received\)/);
    expect(tries().map((e) => e.range)).toEqual([
      undefined,
      'bytes=10000-',
      'bytes=20000-',
      'bytes=30000-',
      'bytes=40000-',
    ]);
  });

  test('a server that goes silent mid-body times out and the download resumes after what it had', async () => {
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'stall', afterBytes: 120_000 } });
    const file = await download({ ...fast, timeouts: { bodyMs: 300 } });
    expect(sha256File(file)).toBe(digest());
    const ranges = tries().map((e) => e.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges.slice(1)).toEqual([expect.stringMatching(/^bytes=\d+-$/)]);
    // It resumed from the bytes it had, not from the start.
    expect(Number(/\d+/.exec(ranges[1]!)![0])).toBeGreaterThan(0);
  });

  test('500 twice, then success: retried', async () => {
    env.proxy.addRule({ path: layerPath(), times: 2, fault: { kind: 'status', status: 500 } });
    const file = await download();
    expect(sha256File(file)).toBe(digest());
    expect(tries().map((e) => e.status)).toEqual([500, 500, 200]);
  });

  test('503 every time: a registry error after 4 attempts, with the registry’s words', async () => {
    env.proxy.addRule({ path: layerPath(), fault: { kind: 'status', status: 503 } });
    const err = await errorOf(download());
    expect(err.kind).toBe('registry');
    expect(err.message).toBe(
      `registry ${env.proxy.host} answered 503 for ${env.proxy.host}/dl@${digest()}: UNKNOWN: injected failure`,
    );
    expect(tries()).toHaveLength(4);
  });

  test('429 with Retry-After is honoured', async () => {
    env.proxy.addRule({
      path: layerPath(),
      times: 1,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    });
    const started = Date.now();
    const file = await download();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sha256File(file)).toBe(digest());
  });

  test('bytes that do not match the digest: digest-mismatch naming the layer', async () => {
    env.proxy.addRule({ path: layerPath(), fault: { kind: 'rewrite', transform: flipByte(60) } });
    const err = await errorOf(download());
    expect(err.kind).toBe('digest-mismatch');
    expect(err.message).toContain(digest());
  });

  test('a body longer than the descriptor says is cut off as invalid', async () => {
    env.proxy.addRule({
      path: layerPath(),
      fault: { kind: 'rewrite', transform: (b) => Buffer.concat([b, Buffer.from('more')]) },
    });
    const err = await errorOf(download());
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain(`more than the ${big.layers[0]!.blob.length} bytes expected`);
  });

  test('every exchange is reported to the request hook', async () => {
    env.proxy.addRule({ path: layerPath(), times: 1, fault: { kind: 'status', status: 502 } });
    const seen: RequestInfo[] = [];
    await download({ ...fast, onRequest: (i) => seen.push(i) });
    const blob = seen.filter((i) => i.url.endsWith(digest())).map((i) => `${i.method} ${i.status}`);
    expect(blob).toEqual(['GET 502', 'GET 200']);
  });

  test('nothing listening: unreachable', async () => {
    const err = await errorOf(
      withRegistrySource(`${env.proxy.host}/dl:1`, fast, async (src) => {
        const img = await src.resolve();
        await env.proxy.stop(); // the registry is known; now nobody answers at its address
        try {
          await src.downloadLayer!(img.layers[0]!, 0, join(scratch, 'never'));
        } finally {
          env.proxy = await startFaultProxy(env.reg.host);
        }
      }),
    );
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('connection refused');
  });
});

describe('a blob redirected to a server that answers in chunks', () => {
  let cdn: Server;
  let cdnUrl: string;
  const cdnSaw: Array<string | undefined> = [];

  beforeAll(async () => {
    const blob = big.layers[0]!.blob;
    cdn = createServer((req, res) => {
      cdnSaw.push(req.headers.authorization);
      res.writeHead(200); // no Content-Length: Node sends the body chunked
      for (let at = 0; at < blob.length; at += 7_001) res.write(blob.subarray(at, at + 7_001));
      res.end();
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}/blob?X-Signature=abc`;
  });

  afterAll(async () => {
    cdn?.closeAllConnections();
    await new Promise((resolve) => cdn?.close(resolve));
  });

  test('is fetched there, without credentials, and matches its digest', async () => {
    env.proxy.addRule({ path: layerPath(), fault: { kind: 'redirect', location: cdnUrl } });
    const seen: string[] = [];
    const file = await download({
      ...fast,
      username: 'bob',
      password: 'builder',
      onRequest: (i) => seen.push(`${i.status} ${i.url}`),
    });
    expect(sha256File(file)).toBe(digest());
    expect(cdnSaw).toEqual([undefined]);
    expect(seen.slice(-2)).toEqual([`307 http://${env.proxy.host}/v2/dl/blobs/${digest()}`, `200 ${cdnUrl}`]);
  });
});
