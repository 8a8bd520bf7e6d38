import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrataError } from '../../src/errors.js';
import { sha256 } from '../../src/oci/digest.js';
import { acquireLock } from '../../src/store/lock.js';
import { Store } from '../../src/store/store.js';
import { peerImage } from '../setup/peers.js';
import { type FillResult, fillFromLayout } from './fill.js';

let root: string;
let store: Store;
let deletes: FillResult;
let opaque: FillResult;

const kindOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: StrataError) => e.kind,
  );
const indexJson = () =>
  JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as {
    manifests: Array<{ mediaType: string; digest: string; annotations?: Record<string, string> }>;
  };
/** The index.json descriptors of an image: its Docker manifest is listed through its OCI view. */
const entriesOf = (manifestDigest: string) =>
  indexJson().manifests.filter((m) => m.annotations?.['dev.strata.manifest'] === manifestDigest);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-store-img-'));
  store = await Store.open(root);
  const d = peerImage('deletes');
  const o = peerImage('opaque');
  deletes = await fillFromLayout(store, d.ociDir, d.ociTag, [
    'docker.io/library/deletes:1',
    'docker.io/library/deletes:2',
  ]);
  const opaqueManifest = JSON.parse(readFileSync(join(o.ociDir, 'index.json'), 'utf8')).manifests[0].digest;
  opaque = await fillFromLayout(
    store,
    o.ociDir,
    o.ociTag,
    ['ghcr.io/acme/opaque:1'],
    `ghcr.io/acme/opaque@${opaqueManifest}`,
  );
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveImage', () => {
  it('finds images by normalised reference, ID, ID prefix and repo digest', async () => {
    expect((await store.resolveImage('deletes:1')).id).toBe(deletes.id);
    expect((await store.resolveImage('docker.io/library/deletes:2')).id).toBe(deletes.id);
    expect((await store.resolveImage(deletes.id)).id).toBe(deletes.id);
    expect((await store.resolveImage(deletes.id.slice(7, 11))).id).toBe(deletes.id);
    expect((await store.resolveImage(`ghcr.io/acme/opaque@${opaque.manifestDigest}`)).id).toBe(opaque.id);
    expect((await store.resolveImage(`deletes@${deletes.manifestDigest}`)).id).toBe(deletes.id);
    expect(await kindOf(store.resolveImage('deletes'))).toBe('not-found');
    expect(await kindOf(store.resolveImage(deletes.id.slice(7, 10)))).toBe('not-found');
  });

  it('records Docker’s annotations on every tag descriptor', () => {
    const entries = entriesOf(opaque.manifestDigest);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const a = entries[0]?.annotations ?? {};
    expect(a['dev.strata.manifest.size']).toBe(
      String(readFileSync(store.paths.blob(opaque.manifestDigest)).length),
    );
    expect(a['org.opencontainers.image.ref.name']).toBe('ghcr.io/acme/opaque:1');
    expect(a['io.containerd.image.name']).toBe('ghcr.io/acme/opaque:1');
    expect(JSON.parse(a['dev.strata.repo-digests'] ?? '[]')).toEqual([
      `ghcr.io/acme/opaque@${opaque.manifestDigest}`,
    ]);
    expect(Date.parse(a['dev.strata.created'] ?? '')).not.toBeNaN();
  });
});

describe('listImages and df', () => {
  it('lists familiar tags, layerdb sizes and the size shared through the base layer', async () => {
    const list = await store.listImages();
    const d = list.find((i) => i.id === deletes.id);
    const o = list.find((i) => i.id === opaque.id);
    expect(d?.repoTags).toEqual(['deletes:1', 'deletes:2']);
    expect(o?.repoDigests).toEqual([`ghcr.io/acme/opaque@${opaque.manifestDigest}`]);
    const image = await store.resolveImage('deletes:1');
    const sizes = (await store.layerSizes(image)) ?? [];
    expect(d?.size).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(d?.sharedSize).toBe(sizes[0]);
    expect(o?.sharedSize).toBe(sizes[0]);
    const usage = await store.df();
    const base = image.manifest.layers[0];
    expect(usage.images).toBe(2);
    expect(usage.sharedBytes).toBe(base?.size);
    expect(usage.savedBytes).toBe(base?.size);
    expect(usage.reclaimableBytes).toBe(0);
  });
});

describe('tag, untag, removeImage and gc', () => {
  it('moves a tag, leaves an untagged image dangling, and keeps shared blobs when deleting', async () => {
    await store.tag('deletes:1', 'example.com/moving:1');
    expect((await store.resolveImage('example.com/moving:1')).id).toBe(deletes.id);
    await store.tag(opaque.id.slice(7, 19), 'example.com/moving:1');
    expect((await store.resolveImage('example.com/moving:1')).id).toBe(opaque.id);
    expect(await kindOf(store.tag('deletes:1', `x@${deletes.manifestDigest}`))).toBe('invalid');

    // An ID whose tags span several repositories needs force.
    await store.tag('deletes:1', 'example.com/other:1');
    expect(await kindOf(store.removeImage(deletes.id))).toBe('usage');
    await store.untag('example.com/other:1');

    // Removing one of two tags only untags.
    expect(await store.removeImage('deletes:2')).toEqual({ untagged: ['deletes:2'], deleted: [] });
    await store.untag('deletes:1');
    const dangling = entriesOf(deletes.manifestDigest);
    expect(dangling).toHaveLength(1);
    expect(dangling[0]?.annotations?.['org.opencontainers.image.ref.name']).toBeUndefined();
    expect((await store.listImages()).find((i) => i.id === deletes.id)?.repoTags).toEqual([]);

    const image = await store.resolveImage(deletes.id);
    const view = image.record.view?.digest as string;
    expect(dangling[0]?.digest).toBe(view);
    const [base, ...own] = image.manifest.layers.map((l) => l.digest);
    const result = await store.removeImage(deletes.id.slice(7, 19));
    expect(result.deleted[0]).toBe(deletes.id);
    expect(result.deleted.slice(1).sort()).toEqual(image.chainIDs.slice(1).sort());
    expect(await store.hasBlob(base as string)).toBe(true);
    for (const d of own) expect(await store.hasBlob(d as string)).toBe(false);
    expect(await store.hasBlob(deletes.manifestDigest)).toBe(false);
    expect(await store.hasBlob(view)).toBe(false);
    expect(await store.hasBlob(deletes.id)).toBe(false);
    expect(existsSync(join(root, 'layerdb', 'sha256', (image.chainIDs[0] as string).slice(7)))).toBe(true);
    expect(await kindOf(store.resolveImage(deletes.id))).toBe('not-found');
    expect(await store.verify()).toEqual([]);
  });

  it('gc frees unreachable blobs and layer entries and keeps everything reachable', async () => {
    const orphan = Buffer.from('nobody points at me');
    await store.putBlob({ mediaType: 'x' }, Readable.from([orphan]));
    const stray = join(root, 'layerdb', 'sha256', 'ab'.repeat(32));
    await import('node:fs/promises').then((fs) => fs.mkdir(stray));
    writeFileSync(join(stray, 'diff'), sha256('x'));
    const freed = await store.gc();
    expect(freed.blobs).toEqual([sha256(orphan)]);
    expect(freed.bytes).toBe(orphan.length);
    expect(freed.layers).toEqual([`sha256:${'ab'.repeat(32)}`]);
    expect((await store.gc()).blobs).toEqual([]);
    expect((await store.resolveImage('ghcr.io/acme/opaque:1')).id).toBe(opaque.id);
    expect(await store.verify()).toEqual([]);
  });

  it('verify reports a corrupt blob', async () => {
    const image = await store.resolveImage('ghcr.io/acme/opaque:1');
    const path = store.paths.blob(image.id);
    const good = readFileSync(path);
    writeFileSync(path, Buffer.concat([good, Buffer.from(' ')]));
    try {
      const problems = await store.verify();
      expect(problems.some((p) => p.includes(`blob ${image.id} is corrupt`))).toBe(true);
    } finally {
      writeFileSync(path, good);
    }
  });
});

describe('locks', () => {
  it('times out with a clear error while a live process holds the lock, and breaks a dead one’s', async () => {
    const path = join(root, 'locks', 'test.lock');
    const held = await acquireLock(path);
    const err = await acquireLock(path, { timeoutMs: 200, what: 'the test lock' }).catch(
      (e: StrataError) => e,
    );
    expect((err as StrataError).kind).toBe('io');
    expect((err as StrataError).message).toBe(
      `timed out after 0s waiting for the lock on the test lock (held by process ${process.pid})`,
    );
    await held.release();
    writeFileSync(path, '999999999');
    const taken = await acquireLock(path, { timeoutMs: 1000 });
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    await taken.release();
  });
});
