/** The pure parts of a push: upload Location rules, tags to write, a refused reference digest. */
import { describe, expect, test } from 'vitest';
import { sha256 } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { parseReference } from '../../src/reference/reference.js';
import { nextLocation, sameOrigin, withDigest } from '../../src/registry/upload.js';
import { tagsToWrite } from '../../src/transports/registry-destination.js';
import { errorOf, openDest } from './push-helpers.js';

describe('upload locations', () => {
  const answered = 'http://127.0.0.1:5000/v2/app/blobs/uploads/';

  test('relative and absolute Locations resolve against the URL that answered', () => {
    expect(nextLocation('/v2/app/blobs/uploads/u1?_state=a%2Bb%3D', answered, 'x')).toBe(
      'http://127.0.0.1:5000/v2/app/blobs/uploads/u1?_state=a%2Bb%3D',
    );
    expect(nextLocation('u2', answered, 'x')).toBe('http://127.0.0.1:5000/v2/app/blobs/uploads/u2');
    expect(nextLocation('https://uploads.example/s/9?sig=z', answered, 'x')).toBe(
      'https://uploads.example/s/9?sig=z',
    );
    expect(() => nextLocation(undefined, answered, 'blob b')).toThrow(
      'the registry gave no upload location for blob b',
    );
  });

  test('digest= is appended without touching the session query', () => {
    const d = sha256('x');
    expect(withDigest('http://h/v2/a/blobs/uploads/u?_state=a%2Bb%3D', d)).toBe(
      `http://h/v2/a/blobs/uploads/u?_state=a%2Bb%3D&digest=${encodeURIComponent(d)}`,
    );
    expect(withDigest('http://h/v2/a/blobs/uploads/u', d)).toBe(
      `http://h/v2/a/blobs/uploads/u?digest=${encodeURIComponent(d)}`,
    );
  });

  test('credentials follow only the registry origin', () => {
    expect(sameOrigin('http://h:1/v2/x', 'http://h:1')).toBe(true);
    expect(sameOrigin('https://cdn.example/x', 'http://h:1')).toBe(false);
  });
});

describe('commit', () => {
  test('tags of the same repository are written after the reference tag; others are not', () => {
    const ref = parseReference('127.0.0.1:5000/team/app:1');
    expect(
      tagsToWrite(ref, [
        '127.0.0.1:5000/team/app:2',
        '127.0.0.1:5000/team/app:1',
        '127.0.0.1:5000/team/other:3',
        'docker.io/team/app:4',
      ]),
    ).toEqual(['1', '2']);
    expect(tagsToWrite(parseReference(`127.0.0.1:5000/team/app@${sha256('m')}`), [])).toEqual([]);
  });

  test('a reference digest the manifest does not have is refused before anything is sent', async () => {
    const wanted = sha256('another manifest');
    const dest = await openDest(`127.0.0.1:9/team/app@${wanted}`);
    const bytes = Buffer.from('{"schemaVersion":2}');
    const raw = { bytes, digest: sha256(bytes), mediaType: MediaType.dockerManifest };
    const err = await errorOf(dest.commitImage({ manifest: raw, config: raw, layers: [], tags: [] }));
    await dest.close();
    expect(err).toEqual({
      kind: 'digest-mismatch',
      message: `manifest for docker://127.0.0.1:9/team/app@${wanted}: digest mismatch: expected ${wanted}, got ${raw.digest}`,
    });
  });
});
