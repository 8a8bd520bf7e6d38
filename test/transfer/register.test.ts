// Layers pulled into the store are registered in its layer database when their tars are first read:
// by whatever reads them first (a save, strata images), with the same entries either way.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { peerImage } from '../setup/peers.js';

const large = peerImage('large');

/** chainID hex → diff and size, for every entry of a store's layer database. */
function layerdb(root: string): Record<string, { diff: string; size: string }> {
  const dir = join(root, 'layerdb', 'sha256');
  const out: Record<string, { diff: string; size: string }> = {};
  if (!existsSync(dir)) return out;
  for (const d of readdirSync(dir).filter((n) => /^[a-f0-9]{64}$/.test(n)))
    out[d] = {
      diff: readFileSync(join(dir, d, 'diff'), 'utf8'),
      size: readFileSync(join(dir, d, 'size'), 'utf8'),
    };
  return out;
}

async function pulledStore(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'strata-register-'));
  process.env.STRATA_ROOT = root;
  const r = await runCli(['pull', '-q', large.registryRef]);
  expect(r.code, r.stderr).toBe(0);
  expect(layerdb(root)).toEqual({});
  return root;
}

describe('layers registered on first read', () => {
  test('a save of a freshly pulled image registers its layers as it checks them; strata images agrees', async () => {
    const saved = await pulledStore();
    const tar = join(saved, 'out.tar');
    const save = await runCli(['save', '-o', tar, large.registryRef]);
    expect(save.code, save.stderr).toBe(0);
    const bySave = layerdb(saved);

    const listed = await pulledStore();
    const images = await runCli(['images', '-q']);
    expect(images.code, images.stderr).toBe(0);
    expect(images.stderr).toMatch(/^reading \d+ layers not read since pulled/);
    const byImages = layerdb(listed);

    expect(Object.keys(bySave).length).toBeGreaterThan(1);
    expect(bySave).toEqual(byImages);
    // The saved tar loads back into a fresh store with the same image ID.
    process.env.STRATA_ROOT = mkdtempSync(join(tmpdir(), 'strata-register-load-'));
    const load = await runCli(['load', '-q', '-i', tar]);
    expect(load.code, load.stderr).toBe(0);
    const id = (await runCli(['images', '-q', '--no-trunc'])).stdout.trim();
    process.env.STRATA_ROOT = listed;
    expect((await runCli(['images', '-q', '--no-trunc'])).stdout.trim()).toBe(id);
  });

  test('a second look reads nothing: images right after save has nothing left to read', async () => {
    const root = await pulledStore();
    expect((await runCli(['save', '-o', join(root, 'x.tar'), large.registryRef])).code).toBe(0);
    const images = await runCli(['images']);
    expect(images.code, images.stderr).toBe(0);
    expect(images.stderr).toBe('');
  });
});
