// strata and the real Docker Engine answer the same questions about the same images, reached through
// every transport: the engine itself, a `docker save` tar, the registry, and skopeo's OCI layout/archive.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { historyRows } from '../../src/image/history.js';
import { openImage } from '../../src/image/image.js';
import { layerSizes } from '../../src/image/sizes.js';
import { sha256, shortId } from '../../src/oci/digest.js';
import { docker } from '../helpers/docker.js';
import { runCli } from '../helpers/cli.js';
import { peers } from '../setup/peers.js';

const env = peers();
// docker-daemon: locations reach the harness's private engine.
process.env.DOCKER_HOST = env.dockerHost;

interface DockerTruth {
  id: string;
  diffIDs: string[];
  size: number;
  // biome-ignore lint/suspicious/noExplicitAny: docker inspect output, compared field by field
  inspect: Record<string, any>;
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
  ['oci-converted', `oci:${img.ociConvertedDir}:${img.ociTag}`],
];

/** skopeo's conversion to OCI writes a new config: same layers and history, a different image ID. */
const sameConfig = (transport: string) => transport !== 'oci-converted';

/**
 * CREATED is relative to now (and its width moves the columns), so strata's output is compared with
 * docker's from just before and just after it: on a loaded machine a run can straddle a second boundary.
 * Tried a few times, in case one run straddles two.
 */
async function agreesWithDocker(
  expected: () => Promise<string>,
  run: () => Promise<{ stdout: string; stderr: string }>,
  what?: string,
): Promise<{ stdout: string; stderr: string }> {
  for (let attempt = 0; ; attempt++) {
    const before = await expected();
    const got = await run();
    const after = await expected();
    if (got.stdout === before || got.stdout === after || attempt === 3) {
      if (got.stdout !== before) expect(got.stdout, what).toBe(after);
      return got;
    }
  }
}

describe.each(env.images.map((img) => [img.name, img] as const))(
  'fixture %s',
  (_name, img) => {
    test.each(transports(img))(
      'via %s: image ID, diffIDs, chain IDs, layer sizes, history',
      async (t, loc) => {
        const truth = await dockerTruth(img.dockerRef);
        const { image, source } = await openImage(loc);
        try {
          if (sameConfig(t)) expect(image.id).toBe(truth.id);
          else expect(image.id).not.toBe(truth.id);
          expect(image.id).toBe(sha256(image.config.bytes));
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
          // docker's CLI shows tabs in CREATED BY as spaces, even in {{json .CreatedBy}}.
          expect(
            rows.map((r) => [r.id, r.createdBy.replaceAll('\t', ' '), String(r.size), r.comment]),
          ).toEqual(
            truth.history.map(([id, , createdBy, size, comment], i) => [
              i === 0 ? image.id : id,
              createdBy,
              size,
              comment,
            ]),
          );
        } finally {
          await source.close();
        }
      },
    );

    test.each(transports(img))('via %s: the default history table equals docker history', async (t, loc) => {
      const truth = await dockerTruth(img.dockerRef);
      const { image, source } = await openImage(loc);
      await source.close();
      // Only the top row's image ID can differ, and only where skopeo rewrote the config.
      const expectedFor = (out: string) =>
        sameConfig(t) ? out : out.replace(shortId(truth.id), shortId(image.id));
      const got = await agreesWithDocker(
        async () => expectedFor(await docker(env.dockerHost, ['history', img.dockerRef])),
        () => runCli(['history', loc]),
      );
      expect(got.stderr).toBe('');
    });

    test.each(transports(img).filter(([t]) => sameConfig(t!)))(
      'via %s: history variants equal docker history',
      async (_t, loc) => {
        for (const flags of [
          ['--no-trunc'],
          ['-H=false'],
          ['-q'],
          ['--format', '{{.ID}}: {{.CreatedBy}} {{.Size}}'],
        ]) {
          await agreesWithDocker(
            () => docker(env.dockerHost, ['history', ...flags, img.dockerRef]),
            () => runCli(['history', ...flags, loc]),
            `history ${flags.join(' ')}`,
          );
        }
      },
    );

    test.each(transports(img))('via %s: inspect fields equal docker image inspect', async (t, loc) => {
      const truth = await dockerTruth(img.dockerRef);
      const got = await runCli(['inspect', loc]);
      expect(got.stderr).toBe('');
      const [view] = JSON.parse(got.stdout);
      const docker = ['Id', 'Comment', 'Container', 'ContainerConfig', 'DockerVersion', 'Config'];
      const always = ['Created', 'Author', 'Architecture', 'Os', 'Size', 'RootFS'];
      for (const field of sameConfig(t) ? [...docker, ...always] : always) {
        expect(view[field], field).toEqual(truth.inspect[field]);
      }
      if (!sameConfig(t)) {
        // skopeo keeps the runtime settings that are set, and drops Docker's zero-valued fields.
        expect(view.Config.Env).toEqual(truth.inspect.Config.Env);
        expect(view.Config.Cmd).toEqual(truth.inspect.Config.Cmd);
        expect(view.Config.Entrypoint).toEqual(truth.inspect.Config.Entrypoint);
      }
      if (t === 'registry' || t === 'docker-daemon') {
        // Other test files may give the engine's copy extra names; strata's must be among Docker's.
        for (const tag of view.RepoTags) expect(truth.inspect.RepoTags).toContain(tag);
        for (const digest of view.RepoDigests) expect(truth.inspect.RepoDigests).toContain(digest);
        expect(view.RepoDigests.length).toBeGreaterThan(0);
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
