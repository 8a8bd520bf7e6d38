import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { randomCacheID, entryFiles } from '../../src/store/layerdb.js';
import { addImage, parseStoreIndex, removeTag, serializeStoreIndex } from '../../src/store/refs.js';
import { planRemoval } from '../../src/store/store.js';

const m1 = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('one'), size: 3 };
const m2 = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('two'), size: 3 };

describe('index.json records', () => {
  it('round-trips, stays the same when the same tag is set again, and moves tags', () => {
    const a = addImage([], m1, { tag: 'docker.io/library/x:1', now: 't1' });
    const again = addImage(a, m1, { tag: 'docker.io/library/x:1', now: 't2' });
    expect(serializeStoreIndex(again).equals(serializeStoreIndex(a))).toBe(true);
    expect(parseStoreIndex(serializeStoreIndex(a), 'index.json')).toEqual(a);
    const moved = addImage(a, m2, { tag: 'docker.io/library/x:1', now: 't3' });
    const parsed = JSON.parse(serializeStoreIndex(moved).toString()).manifests;
    expect(parsed).toEqual([
      { ...m1 },
      {
        ...m2,
        annotations: {
          'org.opencontainers.image.ref.name': 'docker.io/library/x:1',
          'io.containerd.image.name': 'docker.io/library/x:1',
          'dev.strata.created': 't3',
        },
      },
    ]);
    expect(removeTag(moved, 'docker.io/library/x:1').every((i) => i.tags.length === 0)).toBe(true);
  });

  it('lists a Docker manifest through its view and keeps the image keyed by the original', () => {
    const docker = {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: sha256('d'),
      size: 9,
    };
    const view = { digest: sha256('v'), size: 7 };
    const plain = addImage([], docker, { tag: 'docker.io/library/x:1', now: 't1' });
    const upgraded = addImage(plain, docker, { tag: 'docker.io/library/x:2', view, now: 't2' });
    expect(upgraded).toHaveLength(1);
    expect(upgraded[0]?.view).toEqual(view);
    const bytes = serializeStoreIndex(upgraded);
    expect(parseStoreIndex(bytes, 'index.json')).toEqual(upgraded);
    const entries = JSON.parse(bytes.toString()).manifests;
    expect(entries.map((e: { digest: string }) => e.digest)).toEqual([view.digest, view.digest]);
    expect(entries[0]).toMatchObject({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 7,
      annotations: { 'dev.strata.manifest': docker.digest, 'dev.strata.manifest.size': '9' },
    });
    expect(() =>
      parseStoreIndex(
        Buffer.from(
          bytes.toString().replaceAll('"dev.strata.manifest.size":"9"', '"dev.strata.manifest.size":"x"'),
        ),
        'index.json',
      ),
    ).toThrow(/no valid dev.strata.manifest.size/);
  });

  it('follows Docker’s rmi rules', () => {
    const [image] = addImage([], m1, {
      tag: 'docker.io/library/x:1',
      repoDigest: `x@${m1.digest}`,
      now: 't',
    });
    if (!image) throw new Error('no image');
    const byTag = planRemoval(image, sha256('cfg'), 'tag', 'docker.io/library/x:1', false);
    expect(byTag.untagged).toEqual(['x:1', `x@${m1.digest}`]);
    expect(byTag.delete).toBe(true);
    const two = { ...image, tags: [...image.tags, { ref: 'example.com/y:1', created: 't' }] };
    expect(() => planRemoval(two, sha256('cfg'), 'id', undefined, false)).toThrow(/must be forced/);
    expect(planRemoval(two, sha256('cfg'), 'id', undefined, true).delete).toBe(true);
  });
});

describe('layer database files', () => {
  it('has Docker’s exact contents and a cache ID that does not start with 12 digits', () => {
    expect(
      entryFiles({ chainID: 'c', diffID: 'sha256:d', size: 42, cacheID: 'e', parent: 'sha256:p' }),
    ).toEqual([
      ['diff', 'sha256:d'],
      ['size', '42'],
      ['cache-id', 'e'],
      ['parent', 'sha256:p'],
    ]);
    const rolls = ['1'.repeat(64), `${'2'.repeat(12)}${'a'.repeat(52)}`, `a${'1'.repeat(63)}`];
    expect(randomCacheID(() => rolls.shift() as string)).toBe(`a${'1'.repeat(63)}`);
  });
});
