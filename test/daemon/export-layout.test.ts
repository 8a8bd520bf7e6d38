// The pure reading of a scanned export, on hand-made entries: the cases a real engine rarely writes.
import { expect, test } from 'vitest';
import type { ExportEntry } from '../../src/engine/export-scan.js';
import { readExportLayout, resolveEntry } from '../../src/engine/export-layout.js';
import { sha256 } from '../../src/oci/digest.js';

const layerA = Buffer.alloc(2048, 1);
const layerB = Buffer.alloc(3072, 2);

function file(name: string, data: Buffer, keep = false): [string, ExportEntry] {
  const entry: ExportEntry = { name, type: 'file', size: data.length, digest: sha256(data) };
  if (keep) entry.bytes = data;
  return [name, entry];
}

function symlink(name: string, linkname: string): [string, ExportEntry] {
  return [name, { name, type: 'symlink', size: 0, linkname }];
}

/** A legacy export whose third layer repeats the first, stored as a symlink as Docker does. */
function legacyWithRepeatedLayer() {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [sha256(layerA), sha256(layerB), sha256(layerA)] },
    }),
  );
  const id = sha256(config);
  const manifest = Buffer.from(
    `${JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: null, Layers: ['a/layer.tar', 'b/layer.tar', 'c/layer.tar'] }])}\n`,
  );
  const entries = new Map<string, ExportEntry>([
    file(`${id.slice(7)}.json`, config, true),
    file('a/layer.tar', layerA),
    file('b/layer.tar', layerB),
    symlink('c/layer.tar', '../a/layer.tar'),
    file('manifest.json', manifest, true),
  ]);
  return { entries, id, config };
}

test('a repeated layer stored as a symlink resolves to the first copy', () => {
  const { entries, id, config } = legacyWithRepeatedLayer();
  const layout = readExportLayout(entries, id, 'export');
  expect(layout.layers.map((l) => l.path)).toEqual(['a/layer.tar', 'b/layer.tar', 'a/layer.tar']);
  expect(layout.layers.map((l) => l.size)).toEqual([2048, 3072, 2048]);
  expect(layout.config).toMatchObject({
    digest: id,
    mediaType: 'application/vnd.docker.container.image.v1+json',
  });
  expect(layout.config.bytes.equals(config)).toBe(true);
  expect(layout.manifest.mediaType).toBe('application/json');
});

test('links that loop or lead nowhere resolve to nothing', () => {
  const entries = new Map<string, ExportEntry>([symlink('x', 'y'), symlink('y', 'x'), symlink('z', 'gone')]);
  expect(resolveEntry(entries, 'x')).toBeUndefined();
  expect(resolveEntry(entries, 'z')).toBeUndefined();
});

test('a layer list that disagrees with the config is invalid; a missing layer entry too', () => {
  const { entries, id } = legacyWithRepeatedLayer();
  const twoLayers = new Map(entries);
  const items = [{ Config: `${id.slice(7)}.json`, Layers: ['a/layer.tar', 'b/layer.tar'] }];
  twoLayers.set('manifest.json', file('manifest.json', Buffer.from(JSON.stringify(items)), true)[1]);
  expect(() => readExportLayout(twoLayers, id, 'export')).toThrow(
    expect.objectContaining({
      kind: 'invalid',
      message: 'export: manifest.json lists 2 layers but the config has 3',
    }),
  );
  const short = new Map(entries);
  short.delete('b/layer.tar');
  expect(() => readExportLayout(short, id, 'export')).toThrow(
    expect.objectContaining({
      kind: 'invalid',
      message: 'export: layer 1 (b/layer.tar) is not in the export',
    }),
  );
  expect(() => readExportLayout(entries, sha256('another image'), 'export')).toThrow(
    expect.objectContaining({ kind: 'digest-mismatch' }),
  );
});
