// A layer whose bytes match its blob digest but not the config's diffID: the check runs on a worker
// thread (the pull's meter, the analysis scan), and the failure must still be the same clear error,
// with nothing of the image left behind.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { makeConfig, makeLayer, pushImage, sha256 } from '../helpers/registry-fixtures.js';
import { peers } from '../setup/peers.js';

let ref: string;
let lie: string;
beforeAll(async () => {
  const registry = peers().registry;
  const good = await makeLayer([
    { name: 'etc/', dir: true },
    { name: 'etc/ok', content: 'fine\n' },
  ]);
  // Big enough to span many chunks, so the mismatch is found at the end of a real stream.
  const big = await makeLayer([{ name: 'data.bin', content: Buffer.alloc(6 << 20, 0x2a) }]);
  lie = sha256('not this layer');
  const config = makeConfig({ os: 'linux', architecture: 'amd64' }, [good, { ...big, diffId: lie }]);
  await pushImage({ url: `http://${registry}` }, 'diffid/lie', '1', { layers: [good, big], config });
  ref = `${registry}/diffid/lie:1`;
});

describe('a layer that is not what the config says', () => {
  test('pull refuses it with a digest-mismatch naming the layer; no image is recorded, the store verifies', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-diffid-'));
    process.env.STRATA_ROOT = root;
    const r = await runCli(['pull', '-q', ref]);
    expect(r.code, r.stderr).toBe(EXIT_CODES['digest-mismatch']);
    expect(r.stderr).toContain('uncompressed content');
    expect(r.stderr).toContain(lie);
    expect((await runCli(['images', '-q'])).stdout).toBe('');
    expect(readdirSync(join(root, 'ingest')).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect((await runCli(['system', 'verify'])).stdout).toBe('ok\n');
  });

  test('analyze refuses it the same way, and caches no index for the false diffID', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-diffid-'));
    process.env.STRATA_ROOT = root;
    const r = await runCli(['analyze', ref]);
    expect(r.code, r.stderr).toBe(EXIT_CODES['digest-mismatch']);
    expect(r.stderr).toContain(lie);
    // The good layer may or may not have been cached before the lie stopped the scans.
    const dir = join(root, 'cache', 'layers', 'sha256');
    const cached = existsSync(dir) ? readdirSync(dir) : [];
    expect(cached.some((n) => n.startsWith(lie.slice('sha256:'.length)))).toBe(false);
  });
});
