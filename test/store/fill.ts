/**
 * Test-local filling of a store from an OCI layout, standing in for the copy engine: claim each layer,
 * stream it in, commit the image through the strata: destination, then register its layers in the layer
 * database as their first use would.
 */
import { parseImageConfig } from '../../src/oci/config.js';
import type { Store } from '../../src/store/store.js';
import { openSource } from '../../src/transports/open.js';
import { registerLayers, storeDestination } from '../../src/transports/store.js';
import type { CommittedLayer } from '../../src/transports/types.js';

export interface FillResult {
  manifestDigest: string;
  id: string;
  /** Layer blobs this call wrote (the others were present or claimed by someone else). */
  written: string[];
}

export async function fillFromLayout(
  store: Store,
  ociDir: string,
  ociTag: string,
  tags: string[],
  repoDigest?: string,
): Promise<FillResult> {
  const source = await openSource({ transport: 'oci', path: ociDir, tag: ociTag });
  try {
    const resolved = await source.resolve();
    const diffIDs = parseImageConfig(resolved.config.bytes).rootfs.diff_ids;
    const layers: CommittedLayer[] = [];
    const written: string[] = [];
    for (const [i, layer] of resolved.layers.entries()) {
      const blob = { mediaType: layer.mediaType, digest: layer.digest as string, size: layer.size as number };
      const claim = await store.claimBlob(blob.digest);
      if (!claim.present) {
        try {
          await store.putBlob(blob, await source.openLayer(layer, i));
          written.push(blob.digest);
        } finally {
          await claim.release();
        }
      }
      layers.push({ blob, diffID: diffIDs[i] as string });
    }
    const dest = storeDestination(store, { transport: 'strata', name: tags[0] ?? 'x' });
    const { digest } = await dest.commitImage({
      manifest: resolved.manifest,
      config: resolved.config,
      layers,
      tags,
      repoDigest,
    });
    const image = (await store.images()).find((i) => i.manifestDigest === digest);
    const { failures } = await registerLayers(store, image && [image]);
    if (failures.length > 0) throw failures[0]!.error;
    return { manifestDigest: digest, id: resolved.config.digest, written };
  } finally {
    await source.close();
  }
}
