import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { exportImage } from '../../src/flatten/export.js';
import { openImage } from '../../src/image/image.js';
import { docker } from '../helpers/docker.js';
import {
  legacyArchiveFiles,
  makeImage,
  makeLayer,
  makeLayerTar,
  writeTarFile,
} from '../helpers/make-image.js';
import { FIXTURE_NAMES, peerImage, peers } from '../setup/peers.js';
import { tarListing } from './listing.js';

const work = mkdtempSync(join(tmpdir(), 'strata-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `docker export` of a container created (never started) from the image. */
async function dockerExport(ref: string, out: string): Promise<void> {
  const host = peers().dockerHost;
  const id = (await docker(host, ['create', ref, 'true'])).trim();
  try {
    await docker(host, ['export', '-o', out, id]);
  } finally {
    await docker(host, ['rm', id]);
  }
}

describe('exportImage equals docker export', () => {
  for (const name of FIXTURE_NAMES) {
    test(name, async () => {
      const img = peerImage(name);
      const ours = join(work, `${name}.strata.tar`);
      const theirs = join(work, `${name}.docker.tar`);
      const { image, source } = await openImage(`docker-archive:${img.archive}`);
      try {
        const result = await exportImage(source, image, createWriteStream(ours));
        expect(result.skipped).toEqual([]);
      } finally {
        await source.close();
      }
      await dockerExport(img.dockerRef, theirs);
      const a = await tarListing(createReadStream(ours));
      const b = await tarListing(createReadStream(theirs));
      // The engine makes /etc for the container's hosts files when the image has none.
      const imageHasEtc = a.rows.some((r) => r.path === '/etc');
      const docker = b.rows.filter((r) => imageHasEtc || r.path !== '/etc');
      expect(a.rows).toEqual(docker);
      expect(a.groups).toEqual(b.groups);
    });
  }
});

test('exportImage leaves out names that climb above the root and reports them', async () => {
  const layer = makeLayer(
    await makeLayerTar([
      { name: '../evil', content: 'evil' },
      { name: 'ok', content: 'ok' },
      { name: 'hl', type: 'link', linkname: '../../etc/passwd' },
    ]),
  );
  const archive = join(work, 'hostile.tar');
  await writeTarFile(archive, legacyArchiveFiles([makeImage([layer])]));
  const out = join(work, 'hostile.export.tar');
  const { image, source } = await openImage(`docker-archive:${archive}`);
  try {
    const result = await exportImage(source, image, createWriteStream(out));
    expect(result.skipped.map((s) => s.path).sort()).toEqual(['/..', '/../evil', '/hl']);
  } finally {
    await source.close();
  }
  const { rows } = await tarListing(createReadStream(out));
  expect(rows.map((r) => r.path)).toEqual(['/ok']);
});
