/**
 * A test-local copy loop (the real copy engine lives elsewhere): every layer read from the source,
 * decompressed when the destination wants tars, put, then the image committed.
 */
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { decompress } from '../../src/layer/compression.js';
import { parseImageConfig } from '../../src/oci/config.js';
import { sha256 } from '../../src/oci/digest.js';
import type { RawBlob } from '../../src/oci/manifest.js';
import type {
  CommittedLayer,
  ImageDestination,
  ImageSource,
  ResolvedImage,
} from '../../src/transports/types.js';
import type { TestImage } from '../helpers/make-image.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';

/** A manifest for uncompressed layers, as copy writes one when it decompresses. */
function tarManifest(config: RawBlob, layers: CommittedLayer[]): RawBlob {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: config.digest,
        size: config.bytes.length,
      },
      layers: layers.map((l) => ({ mediaType: l.blob.mediaType, digest: l.blob.digest, size: l.blob.size })),
    }),
  );
  return { bytes, digest: sha256(bytes), mediaType: 'application/vnd.oci.image.manifest.v1+json' };
}

export async function copyImage(
  src: ImageSource,
  dest: ImageDestination,
  tags: string[],
): Promise<{ image: ResolvedImage; digest: string }> {
  const image = await src.resolve();
  const diffIDs = parseImageConfig(image.config.bytes).rootfs.diff_ids;
  const layers: CommittedLayer[] = [];
  let changed = false;
  for (const [i, layer] of image.layers.entries()) {
    const diffID = diffIDs[i] as string;
    const raw = await src.openLayer(layer, i);
    if (dest.layerCompression === 'none' && layer.compression !== 'none') {
      changed = true;
      const tar = await decompress(raw, layer.compression, `layer ${i}`);
      layers.push({ blob: await dest.putBlob({ mediaType: OCI_TAR }, tar), diffID });
    } else {
      const input = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
      layers.push({ blob: await dest.putBlob(input, raw), diffID });
    }
  }
  const manifest = changed ? tarManifest(image.config, layers) : image.manifest;
  const { digest } = await dest.commitImage({ manifest, config: image.config, layers, tags });
  return { image, digest };
}

/** Put a synthetic test image (from test/helpers/make-image.ts) into a destination and commit it. */
export async function putTestImage(
  dest: ImageDestination,
  image: TestImage,
  tags: string[],
): Promise<string> {
  const layers: CommittedLayer[] = [];
  for (const l of image.layers) {
    const blob = await dest.putBlob(
      { mediaType: l.mediaType, digest: l.digest, size: l.blob.length },
      Readable.from([l.blob]),
    );
    layers.push({ blob, diffID: l.diffID });
  }
  const config: RawBlob = {
    bytes: image.config,
    digest: image.configDigest,
    mediaType: 'application/vnd.oci.image.config.v1+json',
  };
  const { digest } = await dest.commitImage({ manifest: tarManifest(config, layers), config, layers, tags });
  return digest;
}

/** Entry names of a tar file, in order (GNU tar). */
export function tarNames(file: string): string[] {
  return execFileSync('tar', ['-tf', file], { encoding: 'utf8' })
    .split('\n')
    .filter((n) => n !== '');
}
