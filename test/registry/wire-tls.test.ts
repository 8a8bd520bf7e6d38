// The raw-socket client over TLS (a registry reached with https://): answers read whole, a blob
// downloaded into a file, and a certificate nobody vouches for refused unless --insecure asked for it.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { downloadBlob } from '../../src/registry/blob-download.js';
import { classifyNetError } from '../../src/registry/neterror.js';
import { DEFAULT_RETRY } from '../../src/registry/retry.js';
import { wireResponse } from '../../src/registry/wire.js';
import { makeCertificate } from '../helpers/certificate.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-wire-tls-'));
const blob = Buffer.alloc(3 << 20, 7);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const timeouts = { connectMs: 5_000, headersMs: 5_000, bodyMs: 5_000 };
let server: Server;
let base: string;

beforeAll(async () => {
  const { keyPem, certPem } = makeCertificate(dir, 'localhost');
  server = createServer({ key: keyPem, cert: certPem }, (req, res) => {
    if (req.url === '/chunked') {
      res.writeHead(200);
      res.write('hello, ');
      res.end('world');
      return;
    }
    res.writeHead(200, { 'content-length': String(blob.length) });
    res.end(req.method === 'HEAD' ? undefined : blob);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function text(url: string, insecureTls: boolean, method = 'GET'): Promise<string> {
  const res = await wireResponse({ method, url: new URL(url), headers: {}, insecureTls, timeouts });
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return `${res.head.status} ${Buffer.concat(chunks).length > 100 ? 'blob' : Buffer.concat(chunks).toString()}`;
}

describe('the raw-socket client over TLS', () => {
  test('reads answers, chunked or not, and a HEAD without its body', async () => {
    expect(await text(`${base}/chunked`, true)).toBe('200 hello, world');
    expect(await text(`${base}/blob`, true)).toBe('200 blob');
    expect(await text(`${base}/blob`, true, 'HEAD')).toBe('200 ');
  });

  test('downloads a blob into a file, verified', async () => {
    const file = join(dir, 'blob');
    const spec = {
      url: `${base}/blob`,
      headers: {},
      digest,
      size: blob.length,
      file,
      what: 'the test blob',
      where: dir,
      policy: DEFAULT_RETRY,
      timeouts,
      insecureTls: true,
    };
    expect(await downloadBlob(spec)).toEqual({ kind: 'stored', digest, size: blob.length });
    expect(readFileSync(file).equals(blob)).toBe(true);
  });

  test('a self-signed certificate is refused without --insecure, as a TLS error not worth retrying', async () => {
    const err = await wireResponse({ url: new URL(`${base}/blob`), headers: {}, timeouts }).catch(
      (e: unknown) => e,
    );
    expect(classifyNetError(err)).toMatchObject({
      transient: false,
      reason: expect.stringMatching(/^TLS error/),
    });
  });
});
