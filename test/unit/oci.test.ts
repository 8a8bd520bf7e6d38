import { describe, expect, test } from 'vitest';
import { parseImageConfig } from '../../src/oci/config.js';
import { VerifyingStream, sha256 } from '../../src/oci/digest.js';
import { parseManifest } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { hostPlatform, parsePlatform, platformRank } from '../../src/oci/platform.js';
import { goJSON, goJSONIndent } from '../../src/cli/format/go-json.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('manifests', () => {
  const manifest = (mt?: string) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        ...(mt ? { mediaType: mt } : {}),
        config: { mediaType: MediaType.ociConfig, digest: D('a'), size: 10 },
        layers: [{ mediaType: MediaType.ociLayerGzip, digest: D('b'), size: 20 }],
      }),
    );
  test('OCI manifest without a mediaType field is recognised by its served type or shape', () => {
    expect(parseManifest(manifest(), MediaType.ociManifest).kind).toBe('manifest');
    expect(parseManifest(manifest(), undefined).mediaType).toBe(MediaType.ociManifest);
  });
  test('schema 1 is refused clearly', () => {
    const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
    expect(() => parseManifest(s1, MediaType.dockerSchema1Signed)).toThrow(/schema 1/);
  });
  test('truncated and malformed JSON are invalid, with the reason', () => {
    expect(() => parseManifest(manifest().subarray(0, 30), MediaType.ociManifest)).toThrow(/truncated/);
    expect(() => parseManifest(Buffer.from('<html>'), undefined)).toThrow(/not valid JSON/);
  });
  test('a served type that disagrees with the body is refused', () => {
    expect(() => parseManifest(manifest(MediaType.dockerManifest), MediaType.ociManifest)).toThrow(
      /served as/,
    );
  });
  test('a bad digest in a descriptor is refused', () => {
    const bad = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: 'x', digest: 'md5:abc', size: 1 },
        layers: [],
      }),
    );
    expect(() => parseManifest(bad, MediaType.ociManifest)).toThrow(/digest/);
  });
});

describe('configs', () => {
  test('more non-empty history entries than layers is invalid', () => {
    const cfg = {
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [D('a')] },
      history: [{}, {}],
    };
    expect(() => parseImageConfig(Buffer.from(JSON.stringify(cfg)))).toThrow(/history has 2 layer entries/);
  });
});

describe('platforms', () => {
  test('matching follows containerd: exact first, compatible variants after, no platform last', () => {
    const want = parsePlatform('linux/arm64');
    expect(platformRank(want, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(0);
    expect(platformRank(want, { os: 'linux', architecture: 'arm64' })).toBe(0);
    expect(platformRank(want, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBeGreaterThan(0);
    expect(platformRank(want, { os: 'linux', architecture: 'amd64' })).toBeUndefined();
    expect(platformRank(want, { os: 'windows', architecture: 'arm64' })).toBeUndefined();
    expect(platformRank(want, undefined)).toBe(Number.MAX_SAFE_INTEGER);
    expect(platformRank(parsePlatform('linux/amd64'), { os: 'linux', architecture: '386' })).toBeGreaterThan(
      0,
    );
  });
  test('bad --platform values are usage errors', () => {
    expect(() => parsePlatform('linux')).toThrow(/os\/arch/);
  });
  test('the host platform is normalised', () => {
    expect(hostPlatform().os).toBe('linux');
  });
});

describe('streaming verification', () => {
  const data = Buffer.from('layer bytes');
  const run = (expected: string, size?: number) =>
    pipeline(Readable.from([data]), new VerifyingStream(expected, size, 'blob'), async function* (src) {
      for await (const _ of src) yield;
    });
  test('passes matching bytes', async () => {
    await expect(run(sha256(data), data.length)).resolves.toBeUndefined();
  });
  test('fails on a digest mismatch, naming both digests', async () => {
    await expect(run(D('0'))).rejects.toThrow(/digest mismatch: expected sha256:0+, got sha256:/);
  });
  test('fails on a truncated blob', async () => {
    await expect(run(sha256(data), data.length + 5)).rejects.toThrow(/truncated/);
  });
});

describe('Go-style JSON', () => {
  test('leaves & < > alone, escapes U+2028 and control characters like Go', () => {
    expect(goJSON({ a: 'x && y <z>', b: '\u2028\b\f\t\u0001', c: null, d: [], e: {} })).toBe(
      '{"a":"x && y <z>","b":"\\u2028\\b\\f\\t\\u0001","c":null,"d":[],"e":{}}',
    );
  });
  test('indents like json.MarshalIndent', () => {
    expect(goJSONIndent({ a: [1, 2], b: {} })).toBe(
      '{\n    "a": [\n        1,\n        2\n    ],\n    "b": {}\n}',
    );
  });
});
