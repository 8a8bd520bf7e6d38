// strata pull from a real registry into the store: Docker's progress, layers fetched once whichever
// image brought them, and a store whose answers equal the Docker Engine's for the same images.
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { docker } from '../helpers/docker.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { peerImage, peers } from '../setup/peers.js';

const env = peers();
const deletes = peerImage('deletes');
const large = peerImage('large');

function engineLayerDB(): Map<string, { diff: string; size: string }> {
  const root = join(env.dockerDataRoot, 'image', 'overlay2', 'layerdb', 'sha256');
  const out = new Map<string, { diff: string; size: string }>();
  for (const d of readdirSync(root)) {
    if (!/^[a-f0-9]{64}$/.test(d)) continue;
    out.set(d, {
      diff: readFileSync(join(root, d, 'diff'), 'utf8'),
      size: readFileSync(join(root, d, 'size'), 'utf8'),
    });
  }
  return out;
}

describe('pull into a fresh store', () => {
  let root: string;
  let proxy: FaultProxy;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'strata-pull-'));
    process.env.STRATA_ROOT = root;
    proxy = await startFaultProxy(env.registry);
    return () => proxy.stop();
  });
  const viaProxy = (ref: string) => ref.replace(env.registry, proxy.host);

  test('first pull: Docker progress lines, digest, status, the full reference on stdout', async () => {
    const ref = viaProxy(deletes.registryRef);
    const r = await runCli(['pull', '--progress', 'plain', ref]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${ref}\n`);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('1: Pulling from strata-fixture/deletes');
    const manifest = JSON.parse((await runCli(['manifest', ref])).stdout);
    const ids: string[] = manifest.layers.map((l: { digest: string }) => l.digest.slice(7, 19));
    for (const id of ids) {
      const mine = lines.filter((l) => l.startsWith(`${id}: `)).map((l) => l.slice(14));
      expect(mine[0]).toBe('Pulling fs layer');
      expect(mine.slice(-3)).toEqual(['Verifying Checksum', 'Download complete', 'Pull complete']);
    }
    expect(lines.at(-2)).toMatch(/^Digest: sha256:[a-f0-9]{64}$/);
    expect(lines.at(-1)).toBe(`Status: Downloaded newer image for ${ref}`);
  });

  test('the same pull again moves nothing: Image is up to date', async () => {
    const ref = viaProxy(deletes.registryRef);
    proxy.log.length = 0;
    const r = await runCli(['pull', '--progress', 'plain', ref]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      '1: Pulling from strata-fixture/deletes',
      expect.stringMatching(/^Digest: /),
      `Status: Image is up to date for ${ref}`,
    ]);
    // Only the config is read (to know the image); no layer moves.
    const config = JSON.parse((await runCli(['manifest', ref])).stdout).config.digest as string;
    expect(proxy.log.filter((e) => e.path.includes('/blobs/') && !e.path.endsWith(config))).toEqual([]);
  });

  test('a second image sharing the base layer: Already exists, and the shared blob is not fetched', async () => {
    const ref = viaProxy(large.registryRef);
    const manifest = JSON.parse((await runCli(['manifest', ref])).stdout);
    const base = manifest.layers[0].digest as string;
    proxy.log.length = 0;
    const r = await runCli(['pull', '--progress', 'plain', ref]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${base.slice(7, 19)}: Already exists\n`);
    expect(proxy.log.filter((e) => e.method === 'GET' && e.path.endsWith(base)).length).toBe(0);
  });

  test("the store's layer database equals the engine's, and its history equals docker history", async () => {
    // A pull stores the gzip layers as fetched: none is registered until something reads its tar.
    const layerdb = join(root, 'layerdb', 'sha256');
    expect(existsSync(layerdb) ? readdirSync(layerdb) : []).toEqual([]);
    const engine = engineLayerDB();
    for (const img of [deletes, large]) {
      const ref = viaProxy(img.registryRef);
      const layers = (await runCli(['layers', '--format', 'json', `strata:${ref}`])).stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => !l.EmptyLayer);
      for (const l of layers) {
        const hex = (l.ChainID as string).slice(7);
        const mine = {
          diff: readFileSync(join(root, 'layerdb', 'sha256', hex, 'diff'), 'utf8'),
          size: readFileSync(join(root, 'layerdb', 'sha256', hex, 'size'), 'utf8'),
        };
        expect(mine).toEqual(engine.get(hex));
      }
      const expected = await docker(env.dockerHost, ['history', '-H=false', img.dockerRef]);
      const got = await runCli(['history', '-H=false', `strata:${ref}`]);
      expect(got.stdout).toBe(expected);
    }
  });

  test('strata images lists both, newest first, with Docker columns', async () => {
    const r = await runCli(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const img of [deletes, large]) {
      const id = JSON.parse(await docker(env.dockerHost, ['image', 'inspect', img.dockerRef]))[0];
      const size = (await docker(env.dockerHost, ['images', '--format', '{{.Size}}', img.dockerRef])).trim();
      expect(lines).toContain(`${viaProxy(img.registryRef)} ${id.Id.slice(7, 19)} ${size}`);
    }
  });
});
