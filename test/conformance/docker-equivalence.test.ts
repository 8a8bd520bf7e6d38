// strata and the real Docker Engine answer the same questions about the same images, reached through
// every transport: the engine itself, a `docker save` tar, the registry, and skopeo's OCI layout/archive.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { historyRows } from '../../src/image/history.js';
import { openImage } from '../../src/image/image.js';
import { layerSizes } from '../../src/image/sizes.js';
import { docker } from '../helpers/docker.js';
import { runCli } from '../helpers/cli.js';
import { peers } from '../setup/peers.js';

const env = peers();

interface DockerTruth {
  id: string;
  diffIDs: string[];
  size: number;
  inspect: Record<string, unknown>;
  /** docker history rows, newest first: id, created-at, created-by, raw size, comment. */
  history: string[][];
}

const truthCache = new Map<string, DockerTruth>();

async function dockerTruth(ref: string): Promise<DockerTruth> {
  const cached = truthCache.get(ref);
  if (cached) return cached;
  const inspect = JSON.parse(await docker(env.dockerHost, ['image', 'inspect', ref]))[0];
  const history = (
    await docker(env.dockerHost, [
      'history',
      '--no-trunc',
      '-H=false',
      '--format',
      '{{json .ID}}\t{{json .CreatedAt}}\t{{json .CreatedBy}}\t{{json .Size}}\t{{json .Comment}}',
      ref,
    ])
  )
    .trimEnd()
    .split('\n')
    .map((line) => line.split('\t').map((c) => JSON.parse(c) as string));
  const truth = { id: inspect.Id, diffIDs: inspect.RootFS.Layers, size: inspect.Size, inspect, history };
  truthCache.set(ref, truth);
  return truth;
}

/** The engine's layer database: chain ID directory → {diff, size}. */
function layerDB(): Map<string, { diff: string; size: number }> {
  const root = join(env.dockerDataRoot, 'image', 'overlay2', 'layerdb', 'sha256');
  const db = new Map<string, { diff: string; size: number }>();
  for (const dir of readdirSync(root)) {
    if (!/^[a-f0-9]{64}$/.test(dir)) continue;
    db.set(`sha256:${dir}`, {
      diff: readFileSync(join(root, dir, 'diff'), 'utf8').trim(),
      size: Number(readFileSync(join(root, dir, 'size'), 'utf8').trim()),
    });
  }
  return db;
}

const transports = (img: (typeof env.images)[number]) => [
  ['docker-daemon', `docker-daemon:${img.dockerRef}`],
  ['docker-archive', `docker-archive:${img.archive}`],
  ['registry', `docker://${img.registryRef}`],
  ['oci', `oci:${img.ociDir}:${img.ociTag}`],
  ['oci-archive', `oci-archive:${img.ociArchive}:${img.ociTag}`],
];

describe.each(env.images.map((img) => [img.name, img] as const))(
  'fixture %s',
  (_name, img) => {
    test.each(transports(img))(
      'via %s: image ID, diffIDs, chain IDs, layer sizes, history',
      async (_t, loc) => {
        const truth = await dockerTruth(img.dockerRef);
        const { image, source } = await openImage(loc);
        try {
          expect(image.id).toBe(truth.id);
          expect(image.layers.map((l) => l.diffID)).toEqual(truth.diffIDs);

          // Every chain ID is a directory of the engine's layer database, holding that diffID.
          const db = layerDB();
          const sizes = await layerSizes(source, image);
          for (const layer of image.layers) {
            const entry = db.get(layer.chainID);
            expect(entry, `layerdb entry for ${layer.chainID}`).toBeDefined();
            expect(entry!.diff).toBe(layer.diffID);
            expect(sizes[layer.index], `unpacked size of layer ${layer.index}`).toBe(entry!.size);
          }
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(truth.size);

          const rows = historyRows(image, sizes);
          expect(rows.map((r) => [r.id, r.createdBy, String(r.size), r.comment])).toEqual(
            truth.history.map(([id, , createdBy, size, comment]) => [id, createdBy, size, comment]),
          );
        } finally {
          await source.close();
        }
      },
    );

    test.each(transports(img))('via %s: the default history table equals docker history', async (_t, loc) => {
      // CREATED is relative to now: retry if a second boundary falls between the two runs.
      for (let attempt = 0; ; attempt++) {
        const expected = await docker(env.dockerHost, ['history', img.dockerRef]);
        const got = await runCli(['history', loc]);
        expect(got.stderr).toBe('');
        if (got.stdout === expected || attempt === 2) {
          expect(got.stdout).toBe(expected);
          break;
        }
      }
    });

    test.each(transports(img))('via %s: history variants equal docker history', async (_t, loc) => {
      for (const flags of [
        ['--no-trunc'],
        ['-H=false'],
        ['-q'],
        ['--format', '{{.ID}}: {{.CreatedBy}} {{.Size}}'],
      ]) {
        const expected = await docker(env.dockerHost, ['history', ...flags, img.dockerRef]);
        const got = await runCli(['history', ...flags, loc]);
        if (flags[0] === '--no-trunc' && got.stdout !== expected) {
          // the relative CREATED column may tick between runs; compare everything else
          const strip = (s: string) =>
            s.replace(/\d+ seconds? ago|Less than a second ago|About a minute ago/g, 'X');
          expect(strip(got.stdout)).toBe(strip(expected));
        } else {
          expect(got.stdout, `history ${flags.join(' ')}`).toBe(expected);
        }
      }
    });

    test.each(transports(img))('via %s: inspect fields equal docker image inspect', async (t, loc) => {
      const truth = await dockerTruth(img.dockerRef);
      const got = await runCli(['inspect', loc]);
      expect(got.stderr).toBe('');
      const [view] = JSON.parse(got.stdout);
      for (const field of [
        'Id',
        'Comment',
        'Created',
        'Container',
        'ContainerConfig',
        'DockerVersion',
        'Author',
        'Config',
        'Architecture',
        'Os',
        'Size',
        'RootFS',
      ]) {
        expect(view[field], field).toEqual(truth.inspect[field]);
      }
      if (t === 'registry' || t === 'docker-daemon') {
        expect(view.RepoTags).toEqual(truth.inspect.RepoTags);
        expect(view.RepoDigests).toEqual(truth.inspect.RepoDigests);
      }
      if (t === 'docker-archive') expect(view.RepoTags).toEqual([img.dockerRef]);
      // The strata section names every layer's chain ID and diffID.
      expect(view.Strata.Layers.map((l: { DiffID: string }) => l.DiffID)).toEqual(truth.diffIDs);
    });
  },
  120_000,
);

test('a locally built image keeps its intermediate image IDs through docker-daemon:', async () => {
  const expected = await docker(env.dockerHost, ['history', '--no-trunc', '-H=false', env.localImage]);
  const got = await runCli(['history', '--no-trunc', '-H=false', `docker-daemon:${env.localImage}`]);
  expect(got.stdout).toBe(expected);
  expect(expected).not.toContain('<missing>');
});
