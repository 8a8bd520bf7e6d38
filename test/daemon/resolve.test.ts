// The docker-daemon source against the real engine: every answer is compared with what the docker CLI
// and the engine's own layer database say about the same image.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { chainIDs } from '../../src/oci/chainid.js';
import { digestHex, sha256 } from '../../src/oci/digest.js';
import { parseImageConfig } from '../../src/oci/config.js';
import { createDockerDaemonSource } from '../../src/transports/docker-daemon.js';
import type { ImageSource } from '../../src/transports/types.js';
import { docker } from '../helpers/docker.js';
import { peerImage, peers } from '../setup/peers.js';

interface Inspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  RootFS: { Layers: string[] };
}

const env = peers();
const sources: ImageSource[] = [];

async function open(name: string): Promise<ImageSource> {
  const source = await createDockerDaemonSource(
    { transport: 'docker-daemon', name },
    { dockerHost: env.dockerHost },
  );
  sources.push(source);
  return source;
}

afterAll(async () => {
  await Promise.all(sources.map((s) => s.close()));
});

async function inspect(ref: string): Promise<Inspect> {
  return (JSON.parse(await docker(env.dockerHost, ['image', 'inspect', ref])) as Inspect[])[0]!;
}

/** `docker history` rows, newest first, with raw sizes. */
async function cliHistory(ref: string): Promise<Array<{ id: string; size: number }>> {
  const out = await docker(env.dockerHost, [
    'history',
    '--no-trunc',
    '-H=false',
    '--format',
    '{{.ID}} {{.Size}}',
    ref,
  ]);
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [id, size] = line.split(' ');
      return { id: id!, size: Number(size) };
    });
}

async function hashStream(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

const refs: Array<[string, string]> = [
  ...env.images.map((i): [string, string] => [i.name, i.dockerRef]),
  ['local', env.localImage],
];

describe.each(refs)('docker-daemon:%s', (_name, ref) => {
  test('resolves to what the engine holds: config, diffIDs, tags, digests, parent', async () => {
    const truth = await inspect(ref);
    const image = await (await open(ref)).resolve();
    expect(image.config.digest).toBe(truth.Id);
    expect(sha256(image.config.bytes)).toBe(truth.Id);
    expect(image.layers.map((l) => l.digest)).toEqual(truth.RootFS.Layers);
    expect(image.layers.every((l) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar')).toBe(
      true,
    );
    expect(image.facts.repoTags).toEqual(truth.RepoTags);
    expect(image.facts.repoDigests).toEqual(truth.RepoDigests);
    expect(image.facts.parent).toBe(truth.Parent === '' ? undefined : truth.Parent);
    // Engine 20.10 saves in the legacy shape: the manifest is the export's manifest.json.
    expect(image.manifest.mediaType).toBe('application/json');
    const items = JSON.parse(image.manifest.bytes.toString('utf8')) as Array<{ Layers: string[] }>;
    expect(items[0]!.Layers).toHaveLength(truth.RootFS.Layers.length);
  });

  test('history IDs and layer sizes are the engine’s, and sizes match its layer database', async () => {
    const rows = await cliHistory(ref);
    const image = await (await open(ref)).resolve();
    expect(image.facts.historyIds).toEqual(rows.map((r) => r.id).reverse());
    const config = parseImageConfig(image.config.bytes);
    const layerRows = [...rows].reverse().filter((_r, i) => !config.history?.[i]?.empty_layer);
    expect(image.facts.layerSizes).toEqual(layerRows.map((r) => r.size));
    const layerdb = join(env.dockerDataRoot, 'image/overlay2/layerdb/sha256');
    const dbSizes = chainIDs(config.rootfs.diff_ids).map((c) =>
      Number(readFileSync(join(layerdb, digestHex(c), 'size'), 'utf8')),
    );
    expect(image.facts.layerSizes).toEqual(dbSizes);
  });

  test('openLayer streams the top layer, hashing to its diffID', async () => {
    const source = await open(ref);
    const image = await source.resolve();
    const top = image.layers.length - 1;
    const got = await hashStream(await source.openLayer(image.layers[top]!, top));
    expect(got).toEqual({ digest: image.layers[top]!.digest, size: image.layers[top]!.size });
  });
});

test('pulled images show <missing> below the top row; the local build has an ID on every row', async () => {
  const pulled = await (await open(peerImage('metadata').dockerRef)).resolve();
  const ids = pulled.facts.historyIds!;
  expect(ids.at(-1)).toBe(pulled.config.digest);
  expect(ids.slice(0, -1).every((id) => id === '<missing>')).toBe(true);
  const local = await (await open(env.localImage)).resolve();
  expect(local.facts.historyIds!.every((id) => /^sha256:[a-f0-9]{64}$/.test(id))).toBe(true);
  expect(local.facts.parent).toMatch(/^sha256:/);
});

test('openLayer of the 20 MB layer yields exactly its bytes', async () => {
  const source = await open(peerImage('large').dockerRef);
  const image = await source.resolve();
  const index = image.layers.findIndex((l) => (l.size ?? 0) > 20 * 1024 * 1024);
  expect(index).toBeGreaterThan(0);
  const got = await hashStream(await source.openLayer(image.layers[index]!, index));
  expect(got).toEqual({ digest: image.layers[index]!.digest, size: image.layers[index]!.size });
});

test('openLayer fails with digest-mismatch when the bytes do not match the descriptor', async () => {
  const source = await open(peerImage('links').dockerRef);
  const image = await source.resolve();
  const wrong = { ...image.layers[0]!, digest: `sha256:${'0'.repeat(64)}` };
  await expect(hashStream(await source.openLayer(wrong, 0))).rejects.toMatchObject({
    kind: 'digest-mismatch',
  });
});

test('an image named by short ID resolves to the same image', async () => {
  const { Id } = await inspect(peerImage('names').dockerRef);
  const image = await (await open(digestHex(Id).slice(0, 12))).resolve();
  expect(image.config.digest).toBe(Id);
});
