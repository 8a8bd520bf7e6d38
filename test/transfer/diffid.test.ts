// A layer whose bytes match its blob digest but not the config's diffID: the check runs on a worker
// thread (a size measure, the analysis scan) the first time the layer's tar is read, and the failure
// must be a clear error naming the layer, with nothing of the false layer registered.
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
  test('pull stores it as fetched; its first read refuses it, naming the layer, and registers nothing of it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-diffid-'));
    process.env.STRATA_ROOT = root;
    // The blobs match their digests, so the pull succeeds, as skopeo's and containerd's fetch would.
    const pulled = await runCli(['pull', '-q', ref]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(readdirSync(join(root, 'ingest')).filter((n) => n.endsWith('.partial'))).toEqual([]);
    // A save decompresses it, and its worker finds the lie before the tar is finished.
    const save = await runCli(['save', '-o', join(root, 'out.tar'), ref]);
    expect(save.code, save.stderr).toBe(EXIT_CODES['digest-mismatch']);
    expect(save.stderr).toContain(lie);
    expect(existsSync(join(root, 'out.tar'))).toBe(false);
    // Its first read decompresses the layer and finds the lie.
    const history = await runCli(['history', `strata:${ref}`]);
    expect(history.code, history.stderr).toBe(EXIT_CODES['digest-mismatch']);
    expect(history.stderr).toContain('uncompressed content');
    expect(history.stderr).toContain(lie);
    // strata images still lists it, with a warning naming the layer; the good base layer is registered.
    const images = await runCli(['images', '-q']);
    expect(images.code, images.stderr).toBe(0);
    expect(images.stdout).not.toBe('');
    expect(images.stderr).toContain(lie);
    expect(readdirSync(join(root, 'layerdb', 'sha256'))).toHaveLength(1);
    const verify = await runCli(['system', 'verify']);
    expect(verify.code).toBe(EXIT_CODES.invalid);
    expect(verify.stdout).toContain(lie);
    // Removing the image leaves a store that verifies clean.
    expect((await runCli(['rmi', ref])).code).toBe(0);
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
