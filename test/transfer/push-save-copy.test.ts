// The other transfers through the CLI: push (docker pull gets the same image), save (docker load gets the
// same images and tags), load (idempotent), copy with re-compression (diffIDs unchanged), tag and rmi.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { docker } from '../helpers/docker.js';
import { peerImage, peers } from '../setup/peers.js';

const env = peers();
const links = peerImage('links');
const names = peerImage('names');
const work = mkdtempSync(join(tmpdir(), 'strata-transfer-'));

async function ok(args: string[]) {
  const r = await runCli(args);
  expect(r.code, `strata ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

async function engineId(ref: string): Promise<string> {
  return JSON.parse(await docker(env.dockerHost, ['image', 'inspect', ref]))[0].Id;
}

describe('transfers through the store', () => {
  beforeAll(async () => {
    process.env.STRATA_ROOT = join(work, 'store');
    await ok(['pull', '-q', links.registryRef]);
    await ok(['pull', '-q', names.registryRef]);
  });

  test('push: Docker progress, the final digest line, and docker pull gets the same image ID', async () => {
    const target = `${env.registry}/strata-pushed/links:7`;
    const r = await ok(['push', '--progress', 'plain', links.registryRef, target]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${env.registry}/strata-pushed/links]`);
    // Same registry, another repository: blobs are mounted, not sent again.
    expect(r.stderr).toMatch(/: Mounted from strata-fixture\/links\n/);
    expect(r.stdout).toMatch(/^7: digest: sha256:[a-f0-9]{64} size: \d+\n$/);
    await docker(env.dockerHost, ['pull', '-q', target]);
    expect(await engineId(target)).toBe(await engineId(links.dockerRef));
    await docker(env.dockerHost, ['rmi', target]);
  });

  test('save: docker load gives the same image IDs and tags; the archive reads back', async () => {
    const tar = join(work, 'two.tar');
    await ok(['save', '-o', tar, links.registryRef, names.registryRef]);
    const loaded = await docker(env.dockerHost, ['load', '-i', tar]);
    expect(loaded).toContain(`Loaded image: ${links.registryRef}`);
    expect(loaded).toContain(`Loaded image: ${names.registryRef}`);
    const back = await ok(['inspect', '--format', '{{.Id}}', `docker-archive:${tar}:${names.registryRef}`]);
    expect(back.stdout.trim()).toBe(await engineId(names.dockerRef));
  });

  test('load: any docker save tar into the store, idempotent', async () => {
    process.env.STRATA_ROOT = join(work, 'store-load');
    try {
      const first = await ok(['load', '-i', links.archive]);
      expect(first.stdout).toBe(`Loaded image: ${links.registryRef}\n`);
      const index1 = await ok(['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
      await ok(['load', '-i', links.archive]);
      const index2 = await ok(['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
      expect(index2.stdout).toBe(index1.stdout);
      expect(index1.stdout.trim()).toBe(`${links.registryRef} ${await engineId(links.dockerRef)}`);
    } finally {
      process.env.STRATA_ROOT = join(work, 'store');
    }
  });

  test('copy --compress zstd and back: diffIDs and image ID unchanged, blobs re-encoded', async () => {
    const zstdDir = join(work, 'zstd-layout');
    await ok(['copy', '--compress', 'zstd', `strata:${names.registryRef}`, `oci:${zstdDir}:z`]);
    const manifest = JSON.parse((await ok(['manifest', `oci:${zstdDir}:z`])).stdout);
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers.every((l: { mediaType: string }) => l.mediaType.endsWith('+zstd'))).toBe(true);
    const ids = async (loc: string) =>
      (await ok(['inspect', '--format', '{{.Id}} {{json .RootFS.Layers}}', loc])).stdout;
    expect(await ids(`oci:${zstdDir}:z`)).toBe(await ids(`strata:${names.registryRef}`));
    const gzDir = join(work, 'gzip-layout');
    await ok(['copy', '--compress', 'gzip', `oci:${zstdDir}:z`, `oci:${gzDir}:g`]);
    expect(await ids(`oci:${gzDir}:g`)).toBe(await ids(`strata:${names.registryRef}`));
  });

  test('tag and rmi: untag, then delete what nothing references; shared layers stay', async () => {
    await ok(['tag', links.registryRef, 'mine/links:copy']);
    const rm1 = await ok(['rmi', links.registryRef]);
    // As docker rmi does: the repository's last tag goes, and its digest reference with it.
    expect(rm1.stdout).toMatch(
      new RegExp(
        `^Untagged: ${links.registryRef}\nUntagged: ${links.registryRef.slice(0, -2)}@sha256:[a-f0-9]{64}\n$`,
      ),
    );
    const rm2 = await ok(['rmi', 'mine/links:copy']);
    expect(rm2.stdout).toMatch(/^Untagged: mine\/links:copy\nDeleted: sha256:/);
    // names shares the busybox base layer with links: it must still read whole.
    const blobs = readdirSync(join(work, 'store', 'blobs', 'sha256'));
    const nameLayers = JSON.parse((await ok(['manifest', `strata:${names.registryRef}`])).stdout).layers;
    for (const l of nameLayers) expect(blobs).toContain(l.digest.slice(7));
    await ok(['history', `strata:${names.registryRef}`]);
    expect(existsSync(join(work, 'store', 'index.json'))).toBe(true);
  });

  test('save --format oci writes an OCI archive that load reads back into another store', async () => {
    const tar = join(work, 'names-oci.tar');
    await ok(['save', '--format', 'oci', '-o', tar, names.registryRef]);
    const saved = await ok(['inspect', '--format', '{{.Id}}', `oci-archive:${tar}`]);
    expect(saved.stdout.trim()).toBe(await engineId(names.dockerRef));
    process.env.STRATA_ROOT = join(work, 'store-oci-load');
    try {
      const loaded = await ok(['load', '-i', tar]);
      expect(loaded.stdout).toBe(`Loaded image ID: ${await engineId(names.dockerRef)}\n`);
    } finally {
      process.env.STRATA_ROOT = join(work, 'store');
    }
  });

  test('images --digests and system df', async () => {
    const digests = await ok(['images', '--digests', '--format', '{{.Repository}} {{.Digest}}']);
    const registryDigest = JSON.parse(
      await docker(env.dockerHost, ['image', 'inspect', names.dockerRef]),
    )[0].RepoDigests.find((d: string) => d.startsWith(names.registryRef.slice(0, -2)));
    expect(digests.stdout).toContain(`${names.registryRef.slice(0, -2)} ${registryDigest.split('@')[1]}`);
    const df = JSON.parse((await ok(['system', 'df', '--format', 'json'])).stdout);
    expect(df.images).toBeGreaterThanOrEqual(1);
    expect(df.blobBytes).toBeGreaterThan(0);
    const table = await ok(['system', 'df']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^TYPE\s+TOTAL\s+SIZE\s+SHARED\s+SAVED BY SHARING\s+RECLAIMABLE$/,
    );
    expect((await ok(['system', 'verify'])).stdout).toBe('ok\n');
  });
});
