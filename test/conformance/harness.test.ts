import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { describe, expect, test } from 'vitest';
import { chainIDs } from '../../src/oci/chainid.js';
import { digestHex } from '../../src/oci/digest.js';
import { docker } from '../helpers/docker.js';
import { type FixtureName, peerImage, peers } from '../setup/peers.js';

interface Inspect {
  Id: string;
  RepoDigests: string[];
  RootFS: { Layers: string[] };
}

async function inspect(ref: string): Promise<Inspect> {
  return (JSON.parse(await docker(peers().dockerHost, ['image', 'inspect', ref])) as Inspect[])[0]!;
}

async function historyIds(ref: string): Promise<string[]> {
  const out = await docker(peers().dockerHost, ['history', '--no-trunc', '-q', ref]);
  return out.trim().split('\n');
}

/** Read a tar stream, calling visit for each entry; visit must consume or drain the entry. */
async function eachEntry(
  input: Readable,
  visit: (h: Header, body: Readable) => Promise<void>,
): Promise<void> {
  const ex = extract();
  input.pipe(ex);
  for await (const entry of ex) await visit(entry.header, entry as unknown as Readable);
}

async function readAll(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Headers of one layer (by index, negative from the top) of a `docker save` archive. */
async function layerHeaders(archive: string, index = -1): Promise<Header[]> {
  let layers: string[] = [];
  await eachEntry(createReadStream(archive), async (h, body) => {
    if (h.name === 'manifest.json')
      layers = (JSON.parse(await readAll(body)) as Array<{ Layers: string[] }>)[0]!.Layers;
    else body.resume();
  });
  const wanted = layers.at(index);
  const headers: Header[] = [];
  await eachEntry(createReadStream(archive), async (h, body) => {
    if (h.name !== wanted) {
      body.resume();
      return;
    }
    await eachEntry(body, async (inner, innerBody) => {
      headers.push(inner);
      innerBody.resume();
    });
  });
  return headers;
}

test('the engine answers and runs overlay2 in its own data root', async () => {
  const { dockerHost, dockerDataRoot } = peers();
  const info = JSON.parse(await docker(dockerHost, ['info', '--format', '{{json .}}'])) as {
    Driver: string;
    DockerRootDir: string;
  };
  expect(info.Driver).toBe('overlay2');
  expect(info.DockerRootDir).toBe(dockerDataRoot);
});

describe.each(peers().images.map((i) => i.name))('fixture %s', (name: FixtureName) => {
  test('is in the registry under the digest the engine pulled', async () => {
    const image = peerImage(name);
    const res = await fetch(
      `http://${peers().registry}/v2/strata-fixture/${name}/manifests/${image.ociTag}`,
      {
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      },
    );
    expect(res.status).toBe(200);
    const digest = res.headers.get('docker-content-digest');
    const { RepoDigests } = await inspect(image.dockerRef);
    // Other tests may pull the same image under more names; this one must be among them.
    expect(RepoDigests).toContain(`${image.registryRef.replace(/:[^:/]+$/, '')}@${digest}`);
  });

  test('exists as a docker save tar, an OCI layout and an OCI archive', () => {
    const image = peerImage(name);
    expect(statSync(image.archive).size).toBeGreaterThan(1024);
    expect(JSON.parse(readFileSync(join(image.ociDir, 'index.json'), 'utf8')).manifests).toHaveLength(1);
    expect(existsSync(join(image.ociDir, 'oci-layout'))).toBe(true);
    expect(statSync(image.ociArchive).size).toBeGreaterThan(1024);
  });

  test('is held as a pulled image: its layers are in the layerdb, history below the top is <missing>', async () => {
    const image = peerImage(name);
    const { Id, RootFS } = await inspect(image.dockerRef);
    const chains = chainIDs(RootFS.Layers);
    for (const [i, chain] of chains.entries()) {
      const dir = join(peers().dockerDataRoot, 'image/overlay2/layerdb/sha256', digestHex(chain));
      expect(readFileSync(join(dir, 'diff'), 'utf8')).toBe(RootFS.Layers[i]);
    }
    const ids = await historyIds(image.dockerRef);
    expect(ids[0]).toBe(Id);
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.slice(1).every((id) => id === '<missing>')).toBe(true);
  });
});

test('the local image keeps a real image ID on every history row', async () => {
  const ids = await historyIds(peers().localImage);
  expect(ids.length).toBeGreaterThan(2);
  for (const id of ids) expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
  expect(new Set(ids).size).toBe(ids.length);
});

describe('each fixture holds what it is for', () => {
  const names = (headers: Header[]) => headers.map((h) => h.name);

  test('deletes: a file whiteout and a directory whiteout', async () => {
    const top = names(await layerHeaders(peerImage('deletes').archive));
    expect(top).toEqual(expect.arrayContaining(['data/.wh.file', 'data/.wh.dir']));
  });

  test('opaque: the re-created directory is marked opaque', async () => {
    const top = names(await layerHeaders(peerImage('opaque').archive));
    expect(top).toEqual(expect.arrayContaining(['opq/.wh..wh..opq', 'opq/fresh']));
  });

  test('links: hardlinks, one to a lower file, and absolute, relative and dangling symlinks', async () => {
    const top = await layerHeaders(peerImage('links').archive);
    const links = top.filter((h) => h.type === 'link').map((h) => h.name);
    expect(links).toEqual(expect.arrayContaining(['links/b', 'links/sub/c']));
    expect(top.some((h) => h.type === 'link' && /lower/.test(`${h.name} ${h.linkname}`))).toBe(true);
    const symlinks = Object.fromEntries(
      top.filter((h) => h.type === 'symlink').map((h) => [h.name, h.linkname]),
    );
    expect(symlinks).toMatchObject({
      'links/abs-symlink': '/links/a',
      'links/rel-symlink': 'a',
      'links/dangling': '/does/not/exist',
    });
  });

  test('names: past 100 and 255 bytes, non-ASCII, spaces', async () => {
    const archive = peerImage('names').archive;
    const [past100, past255, utf8] = await Promise.all([-3, -2, -1].map((i) => layerHeaders(archive, i)));
    const longest = (headers: Header[]) => Math.max(...headers.map((h) => Buffer.byteLength(h.name)));
    expect(longest(past100!)).toBeGreaterThan(100);
    expect(longest(past100!)).toBeLessThanOrEqual(255);
    expect(longest(past255!)).toBeGreaterThan(255);
    expect(names(utf8!)).toEqual(
      expect.arrayContaining(['names/café.txt', 'names/日本語.txt', 'names/with space/a file.txt']),
    );
  });

  test('large: a 20 MB file and a setuid file', async () => {
    const { dockerHost } = peers();
    const ref = peerImage('large').dockerRef;
    const out = await docker(dockerHost, ['history', '--no-trunc', '-H=false', '--format', '{{.Size}}', ref]);
    expect(out.split('\n').map(Number)).toContain(20971520);
    const top = await layerHeaders(peerImage('large').archive);
    const tool = top.find((h) => h.name === 'usr/local/bin/setuid-tool');
    expect((tool?.mode ?? 0) & 0o4000).toBe(0o4000);
  });
});
