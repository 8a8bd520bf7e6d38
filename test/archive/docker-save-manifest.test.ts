import { describe, expect, test } from 'vitest';
import {
  digestFromBlobPath,
  digestFromConfigPath,
  parseDockerSaveManifest,
  parseLayoutHeader,
  parseLayoutIndex,
  sameTag,
  selectDockerSaveItem,
} from '../../src/archive/docker-save-manifest.js';

const HEX = 'a'.repeat(64);
const b = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('parseDockerSaveManifest', () => {
  test('legacy and 25+ items', () => {
    const items = parseDockerSaveManifest(
      b([
        { Config: `${HEX}.json`, RepoTags: ['busybox:latest'], Layers: ['x/layer.tar'] },
        {
          Config: `blobs/sha256/${HEX}`,
          RepoTags: null,
          Layers: [`blobs/sha256/${HEX}`],
          Parent: 'sha256:'.padEnd(71, 'b'),
          LayerSources: {
            [`sha256:${HEX}`]: {
              mediaType: 'application/vnd.oci.image.layer.v1.tar',
              size: 3,
              digest: `sha256:${HEX}`,
            },
          },
        },
      ]),
    );
    expect(items[0]).toEqual({
      config: `${HEX}.json`,
      repoTags: ['busybox:latest'],
      layers: ['x/layer.tar'],
    });
    expect(items[1]?.repoTags).toEqual([]);
    expect(items[1]?.layerSources?.[`sha256:${HEX}`]?.size).toBe(3);
    expect(items[1]?.parent).toMatch(/^sha256:b+$/);
  });

  test('malformed documents are invalid', () => {
    expect(() => parseDockerSaveManifest(b('null'))).toThrow(/manifest\.json is null/);
    expect(() => parseDockerSaveManifest(b('{"a":1}'))).toThrow(/not a list of images/);
    expect(() => parseDockerSaveManifest(b('[{"Config":"x"'))).toThrow(
      /manifest\.json is (truncated|not valid JSON)/,
    );
    expect(() => parseDockerSaveManifest(b([{ Layers: [] }]))).toThrow(/item 0 has no Config/);
    expect(() => parseDockerSaveManifest(b([{ Config: 'c', Layers: [1] }]))).toThrow(
      /Layers is not a list of strings/,
    );
    expect(() => parseDockerSaveManifest(b(''))).toThrow(/is empty/);
  });
});

describe('selection', () => {
  const items = parseDockerSaveManifest(
    b([
      { Config: 'a.json', RepoTags: ['busybox:latest', 'ghcr.io/x/y:2'], Layers: [] },
      { Config: 'b.json', RepoTags: null, Layers: [] },
    ]),
  );
  test('by normalised tag, by index', () => {
    expect(sameTag('busybox', 'docker.io/library/busybox:latest')).toBe(true);
    expect(selectDockerSaveItem(items, { tag: 'docker.io/library/busybox:latest' }, 'a.tar').index).toBe(0);
    expect(selectDockerSaveItem(items, { tag: 'ghcr.io/x/y:2' }, 'a.tar').index).toBe(0);
    expect(selectDockerSaveItem(items, { index: 1 }, 'a.tar').item.config).toBe('b.json');
  });
  test('errors list what is there', () => {
    expect(() => selectDockerSaveItem(items, {}, 'a.tar')).toThrow(
      expect.objectContaining({
        kind: 'usage',
        message: 'a.tar holds 2 images: @0 busybox:latest ghcr.io/x/y:2, @1 <untagged>',
      }),
    );
    expect(() => selectDockerSaveItem(items, { tag: 'alpine' }, 'a.tar')).toThrow(
      expect.objectContaining({
        kind: 'not-found',
        message: expect.stringContaining('no image tagged alpine; it holds: @0 busybox:latest'),
      }),
    );
    expect(() => selectDockerSaveItem(items, { index: 2 }, 'a.tar')).toThrow(
      expect.objectContaining({ kind: 'not-found' }),
    );
    expect(() => selectDockerSaveItem([], {}, 'a.tar')).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
});

describe('layout documents and paths', () => {
  test('oci-layout version', () => {
    expect(parseLayoutHeader(b('{"imageLayoutVersion": "1.0.0"}'))).toBe('1.0.0');
    expect(() => parseLayoutHeader(b('{"imageLayoutVersion": "2.0.0"}'))).toThrow(
      expect.objectContaining({ kind: 'unsupported' }),
    );
    expect(() => parseLayoutHeader(b('{}'))).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
  test('index.json', () => {
    const index = parseLayoutIndex(
      b({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: `sha256:${HEX}`, size: 1 }] }),
    );
    expect(index.manifests).toHaveLength(1);
    expect(() => parseLayoutIndex(b({ schemaVersion: 2, config: {}, layers: [] }))).toThrow();
  });
  test('digests from paths', () => {
    expect(digestFromBlobPath(`blobs/sha256/${HEX}`)).toBe(`sha256:${HEX}`);
    expect(digestFromBlobPath(`${HEX}/layer.tar`)).toBeUndefined();
    expect(digestFromConfigPath(`${HEX}.json`)).toBe(`sha256:${HEX}`);
    expect(digestFromConfigPath(`blobs/sha256/${HEX}`)).toBe(`sha256:${HEX}`);
    expect(digestFromConfigPath('config.json')).toBeUndefined();
  });
});
