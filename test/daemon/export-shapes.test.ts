// Export shapes and broken exports, served by a stand-in engine that answers the save endpoint itself
// (Engine 25+'s OCI-style shape cannot come from the Engine 20.10 here) and passes the rest through.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { createDockerDaemonSource } from '../../src/transports/docker-daemon.js';
import { type FakeEngine, packTar, readTar, startFakeEngine, type TarFile } from './fake-engine.js';
import { peerImage, peers } from '../setup/peers.js';

const env = peers();
const realSocket = env.dockerHost.replace(/^unix:\/\//, '');
const image = peerImage('links');
let engine: FakeEngine | undefined;

afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

interface Legacy {
  files: TarFile[];
  configName: string;
  config: Buffer;
  layers: Buffer[];
}

/** The fixture's real `docker save` tar (legacy shape), with its config and layers picked out. */
async function legacy(): Promise<Legacy> {
  const files = await readTar(image.archive);
  const byName = new Map(files.map((f) => [f.name, f]));
  const item = JSON.parse(byName.get('manifest.json')!.data.toString('utf8'))[0] as {
    Config: string;
    Layers: string[];
  };
  const data = (name: string): Buffer => {
    const f = byName.get(name)!;
    return f.type === 'symlink' ? data(posix.join(posix.dirname(name), f.linkname!)) : f.data;
  };
  return { files, configName: item.Config, config: data(item.Config), layers: item.Layers.map(data) };
}

/** The same image in Engine 25+'s shape: blobs by digest, an OCI manifest and index, manifest.json. */
function ociStyle(l: Legacy): TarFile[] {
  const blob = (data: Buffer) => ({ digest: sha256(data), size: data.length, data });
  const config = blob(l.config);
  const layers = l.layers.map(blob);
  const v1 = blob(Buffer.from('{"created":"1970-01-01T00:00:00Z","id":"unreferenced"}'));
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: config.digest,
          size: config.size,
        },
        layers: layers.map((b) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: b.digest,
          size: b.size,
        })),
      }),
    ),
  );
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifest.digest,
        size: manifest.size,
      },
    ],
  };
  const path = (d: string) => `blobs/sha256/${d.slice(7)}`;
  const saveManifest = [
    { Config: path(config.digest), RepoTags: null, Layers: layers.map((b) => path(b.digest)) },
  ];
  const blobs = [config, ...layers, v1, manifest]
    .map((b) => ({ name: path(b.digest), data: b.data }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return [
    { name: 'blobs/', data: Buffer.alloc(0), type: 'directory' },
    { name: 'blobs/sha256/', data: Buffer.alloc(0), type: 'directory' },
    ...blobs,
    { name: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(saveManifest)}\n`) },
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion": "1.0.0"}') },
  ];
}

async function resolveVia(body: Buffer) {
  engine = await startFakeEngine(realSocket, body);
  const source = await createDockerDaemonSource(
    { transport: 'docker-daemon', name: image.dockerRef },
    { dockerHost: engine.host },
  );
  return { source, resolved: source.resolve() };
}

async function digestOf(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of stream) hash.update(c as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

describe('Engine 25+ OCI-style export', () => {
  test('resolves: the OCI manifest blob, the config as the manifest types it, verified layers', async () => {
    const l = await legacy();
    const files = ociStyle(l);
    const { source, resolved } = await resolveVia(await packTar(files));
    try {
      const img = await resolved;
      const manifestFile = files.find((f) => f.name === `blobs/sha256/${img.manifest.digest.slice(7)}`);
      expect(img.manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(img.manifest.bytes.equals(manifestFile!.data)).toBe(true);
      expect(img.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
      expect(img.config.bytes.equals(l.config)).toBe(true);
      expect(img.layers.map((x) => x.digest)).toEqual(l.layers.map((b) => sha256(b)));
      const top = img.layers.length - 1;
      expect(await digestOf(await source.openLayer(img.layers[top]!, top))).toBe(img.layers[top]!.digest);
    } finally {
      await source.close();
    }
  });
});

describe('broken exports', () => {
  const cases: Array<[string, (l: Legacy) => Promise<Buffer>, string]> = [
    ['not a tar', async () => Buffer.alloc(4096, 'not a tar at all. '), 'invalid'],
    ['truncated', async (l) => (await packTar(l.files)).subarray(0, 3000), 'invalid'],
    [
      'without manifest.json',
      async (l) => packTar(l.files.filter((f) => f.name !== 'manifest.json')),
      'invalid',
    ],
    [
      'whose config does not hash to the image ID',
      async (l) =>
        packTar(
          l.files.map((f) =>
            f.name === l.configName ? { ...f, data: Buffer.concat([f.data, Buffer.from(' ')]) } : f,
          ),
        ),
      'digest-mismatch',
    ],
    [
      'whose layer differs from its diffID',
      async (l) => {
        const layer = l.files.find(
          (f) => f.name.endsWith('/layer.tar') && f.type === 'file' && f.data.length > 1024,
        )!;
        const data = Buffer.from(layer.data);
        data[0] = data[0]! ^ 1;
        return packTar(l.files.map((f) => (f === layer ? { ...f, data } : f)));
      },
      'digest-mismatch',
    ],
  ];

  test.each(cases)('an export %s fails resolve()', async (_what, make, kind) => {
    const { source, resolved } = await resolveVia(await make(await legacy()));
    try {
      const err = await resolved.catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'StrataError', kind });
      expect((err as Error).message).toMatch(/export/);
    } finally {
      await source.close();
    }
  });
});
