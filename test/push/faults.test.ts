/** Push under faults: a registry that fails a request, a connection cut mid-upload, a failing source. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { RegistryClient } from '../../src/registry/client.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type RunningRegistry, startRegistry } from '../helpers/registry.js';
import { FAST_RETRY } from '../helpers/proxied-registry.js';
import { noise } from '../helpers/registry-fixtures.js';
import { type DropProxy, errorOf, freshRepo, openDest, startDropProxy } from './push-helpers.js';

const fast = FAST_RETRY;
const BIG = 1_000_000;
const bytes = noise(BIG, 3);
const blob = { mediaType: MediaType.dockerLayer, digest: sha256(bytes), size: BIG };
/** The blob in several chunks, as a file or a registry would stream it. */
const stream = () =>
  Readable.from(Array.from({ length: 10 }, (_, i) => bytes.subarray(i * 100_000, (i + 1) * 100_000)));

describe('faults', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  let drop: DropProxy;

  beforeAll(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
    drop = await startDropProxy(reg.host, 300_000);
  });

  afterAll(async () => {
    await Promise.all([proxy?.stop(), drop?.stop()]);
    await reg?.stop();
  });

  beforeEach(() => {
    proxy.clearRules();
    proxy.log.length = 0;
  });

  const present = async (repo: string, digest: string) => {
    const c = new RegistryClient(reg.host);
    try {
      return (await c.headBlob(repo, digest)).present;
    } finally {
      await c.close();
    }
  };

  test('a 500 on the upload POST is retried and the upload completes', async () => {
    const repo = freshRepo('retry');
    proxy.addRule({
      method: 'POST',
      path: /\/blobs\/uploads\/$/,
      times: 1,
      fault: { kind: 'status', status: 500 },
    });
    const dest = await openDest(`${proxy.host}/${repo}:1`, fast);
    try {
      expect(await dest.putBlob(blob, stream())).toEqual(blob);
    } finally {
      await dest.close();
    }
    expect(proxy.log.filter((e) => e.method === 'POST').map((e) => e.status)).toEqual([500, 202]);
    expect(proxy.log.filter((e) => e.method === 'PATCH')).toHaveLength(1);
    expect(await present(repo, blob.digest)).toBe(true);
  });

  test('a PATCH whose connection drops is not replayed: a clear error; a fresh putBlob then works', async () => {
    const repo = freshRepo('dropped');
    const dest = await openDest(`${drop.host}/${repo}:1`, fast);
    try {
      const err = await errorOf(dest.putBlob(blob, stream()));
      expect(err.kind).toBe('unreachable');
      expect(err.message).toMatch(
        new RegExp(
          `^upload of blob ${blob.digest} for ${drop.host}/${repo} broke off after \\d+ bytes: connection (reset|closed)`,
        ),
      );
      expect(drop.patches).toHaveLength(1);
      expect(await present(repo, blob.digest)).toBe(false);
      // The copy engine reopens its source and tries again: a new session, sent whole.
      expect(await dest.putBlob(blob, stream())).toEqual(blob);
    } finally {
      await dest.close();
    }
    expect(await present(repo, blob.digest)).toBe(true);
  });

  test('a source stream that fails midway cancels the session and surfaces its own error', async () => {
    const repo = freshRepo('source-fails');
    const dest = await openDest(`${proxy.host}/${repo}:1`, fast);
    const failing = Readable.from(
      (async function* () {
        yield bytes.subarray(0, 100_000);
        throw new Error('disk went away');
      })(),
    );
    try {
      await expect(dest.putBlob(blob, failing)).rejects.toThrow('disk went away');
    } finally {
      await dest.close();
    }
    expect(proxy.log.some((e) => e.method === 'PUT')).toBe(false);
    expect(proxy.log.filter((e) => e.method === 'DELETE')).toHaveLength(1);
    expect(await present(repo, blob.digest)).toBe(false);
  });
});
