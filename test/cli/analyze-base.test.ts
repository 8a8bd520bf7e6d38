// strata analyze: which layers are the base (--base, the OCI base-image annotations, else the first
// layer), and the result cache that answers a repeated analysis without the layer indexes.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { annotatedBase } from '../../src/analysis/base.js';
import { runCli } from '../helpers/cli.js';
import { type PushedImage, makeLayer, pushImage } from '../helpers/registry-fixtures.js';
import { peers } from '../setup/peers.js';

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';
const digest = `sha256:${'a'.repeat(64)}`;
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('annotatedBase', () => {
  test('name pinned to the digest; a tag gives way, a port stays', () => {
    const m = (annotations: Record<string, string>) => json({ schemaVersion: 2, annotations });
    expect(
      annotatedBase(m({ [BASE_NAME]: 'docker.io/library/debian:bookworm', [BASE_DIGEST]: digest })),
    ).toBe(`docker.io/library/debian@${digest}`);
    expect(annotatedBase(m({ [BASE_NAME]: 'localhost:5000/base', [BASE_DIGEST]: digest }))).toBe(
      `localhost:5000/base@${digest}`,
    );
    expect(annotatedBase(m({ [BASE_NAME]: 'debian:12' }))).toBe('debian:12');
    expect(annotatedBase(m({ [BASE_NAME]: 'debian:12', [BASE_DIGEST]: 'md5:x' }))).toBe('debian:12');
    expect(annotatedBase(m({ [BASE_DIGEST]: digest }))).toBeUndefined();
    expect(annotatedBase(json({ schemaVersion: 2 }))).toBeUndefined();
    expect(annotatedBase(Buffer.from('not json'))).toBeUndefined();
  });
});

describe('the base of an analysis', () => {
  let registry: string;
  let base: PushedImage;
  beforeAll(async () => {
    registry = peers().registry;
    const api = { url: `http://${registry}` };
    const l1 = await makeLayer([
      { name: 'etc/', dir: true },
      { name: 'etc/big', content: Buffer.alloc(10_000, 1) },
    ]);
    const l2 = await makeLayer([{ name: 'usr/lib.so', content: Buffer.alloc(5_000, 2) }]);
    // The app layer deletes a base file (waste made above the base) and adds its own.
    const l3 = await makeLayer([
      { name: 'etc/.wh.big', content: '' },
      { name: 'app', content: Buffer.alloc(2_000, 3) },
    ]);
    base = await pushImage(api, 'strata-base/os', '1', { layers: [l1, l2] });
    const annotations = (name: string) => ({ [BASE_NAME]: name, [BASE_DIGEST]: base.manifestDigest });
    await pushImage(api, 'strata-base/app', '1', {
      layers: [l1, l2, l3],
      annotations: annotations(`${registry}/strata-base/os:1`),
    });
    await pushImage(api, 'strata-base/app', 'lost', {
      layers: [l1, l2, l3],
      annotations: annotations(`${registry}/strata-base/gone:1`),
    });
    await pushImage(api, 'strata-base/app', 'plain', { layers: [l1, l2, l3] });
  });

  const analyze = async (tag: string, ...flags: string[]) => {
    const r = await runCli(['analyze', '--format', 'json', ...flags, `${registry}/strata-base/app:${tag}`]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  test('from the annotations: the annotated image, pinned by digest, is the base', async () => {
    const w = await analyze('1');
    expect(w.base.layers).toBe(2);
    expect(w.baseFrom).toBe(`annotation ${registry}/strata-base/os@${base.manifestDigest}`);
    expect(w.user).toMatchObject({ wastedBytes: 10_000, sizeBytes: 2_000, shareOfWaste: 1 });
    const text = await runCli(['analyze', `${registry}/strata-base/app:1`]);
    expect(text.stdout).toContain(
      `Layers           3 (base: 2, annotation ${registry}/strata-base/os@${base.manifestDigest})\n`,
    );
  });

  test('an annotated base that cannot be read: the first layer, and the report says why', async () => {
    const w = await analyze('lost');
    expect(w.base.layers).toBe(1);
    expect(w.baseFrom).toMatch(
      /^first layer \(the annotated base .*strata-base\/gone@sha256:\w+ cannot be read: /,
    );
  });

  test('no annotations: the first layer, as dive; --base wins over annotations', async () => {
    expect((await analyze('plain')).baseFrom).toBe('first layer');
    const w = await analyze('1', '--base', `${registry}/strata-base/os:1`);
    expect(w).toMatchObject({ baseFrom: `--base ${registry}/strata-base/os:1`, base: { layers: 2 } });
  });

  test('a repeated analysis is answered from the result cache, without the layer indexes', async () => {
    const first = await analyze('plain');
    const root = process.env.STRATA_ROOT!;
    const results = join(root, 'cache', 'results');
    expect(readdirSync(results).length).toBeGreaterThan(0);
    rmSync(join(root, 'cache', 'layers'), { recursive: true, force: true });
    expect(await analyze('plain')).toEqual(first);
    expect(readdirSync(join(root, 'cache')).includes('layers')).toBe(false);
  });
});
