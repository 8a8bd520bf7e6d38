/**
 * docker-daemon: an image held by a local Docker Engine, read over its API: inspect and history for
 * what only the engine knows (tags, digests, per-step image IDs, layer database sizes), and the save
 * endpoint for the exact config bytes and the layers.
 */
import type { Readable } from 'node:stream';
import { invalid, isStrataError, notFound } from '../errors.js';
import { EngineClient } from '../engine/client.js';
import { resolveEndpoint } from '../engine/endpoint.js';
import { connectionError } from '../engine/errors.js';
import { type ExportLayer, readExportLayout } from '../engine/export-layout.js';
import { pipeExportEntry, scanExport } from '../engine/export-scan.js';
import {
  type EngineHistoryRow,
  type EngineImage,
  exportImage,
  imageHistory,
  inspectImage,
} from '../engine/images.js';
import { type ImageConfig, parseImageConfig } from '../oci/config.js';
import { VerifyingStream } from '../oci/digest.js';
import { MediaType } from '../oci/mediatypes.js';
import type { ImageLocation } from '../reference/transport.js';
import {
  type ImageSource,
  type LayerBlob,
  type OpenLayerOptions,
  type ResolvedImage,
  type SourceFacts,
  type SourceOptions,
  sourceHashes,
} from './types.js';

type DaemonLocation = Extract<ImageLocation, { transport: 'docker-daemon' }>;

interface Resolution {
  image: ResolvedImage;
  id: string;
  layers: ExportLayer[];
}

/**
 * The facts only the engine knows. History rows come newest first, one per config.history entry;
 * layer sizes (the layer database's) are those of the rows that made a layer, kept only when there is
 * one for every layer.
 */
export function daemonFacts(
  info: EngineImage,
  rows: EngineHistoryRow[],
  config: ImageConfig,
  what: string,
): SourceFacts {
  const history = config.history ?? [];
  if (rows.length !== history.length) {
    throw invalid(
      `${what}: the engine's history has ${rows.length} rows but the config has ${history.length} entries`,
    );
  }
  const oldestFirst = [...rows].reverse();
  const sizes = oldestFirst.filter((_row, i) => !history[i]?.empty_layer).map((row) => row.Size);
  const facts: SourceFacts = {
    repoTags: info.RepoTags,
    repoDigests: info.RepoDigests,
    historyIds: oldestFirst.map((row) => row.Id),
  };
  if (info.Parent !== '') facts.parent = info.Parent;
  if (sizes.length === config.rootfs.diff_ids.length) facts.layerSizes = sizes;
  return facts;
}

function layerBlob(layer: ExportLayer): LayerBlob {
  return {
    mediaType: MediaType.dockerLayer,
    digest: layer.digest,
    size: layer.size,
    compression: 'none',
    foreign: false,
  };
}

class DockerDaemonSource implements ImageSource {
  readonly name: string;
  private readonly exportWhat: string;
  private resolution?: Promise<Resolution>;

  constructor(
    private readonly imageName: string,
    private readonly client: EngineClient,
  ) {
    this.name = `docker-daemon:${imageName}`;
    this.exportWhat = `the engine's export of ${imageName}`;
  }

  /** Network failures while streaming become 'unreachable'; anything else is left to the tar reader. */
  private readonly mapStreamError = (err: unknown) => connectionError(err, this.client.endpoint);

  private async load(): Promise<Resolution> {
    const info = await inspectImage(this.client, this.imageName);
    // Ask by ID from here on, so a tag moved meanwhile cannot mix two images.
    const [rows, entries] = await Promise.all([
      imageHistory(this.client, info.Id),
      exportImage(this.client, info.Id).then((body) =>
        scanExport(body, this.exportWhat, this.mapStreamError),
      ),
    ]);
    const layout = readExportLayout(entries, info.Id, this.exportWhat);
    const config = parseImageConfig(layout.config.bytes, `image config of ${this.name}`);
    const image: ResolvedImage = {
      manifest: layout.manifest,
      config: layout.config,
      layers: layout.layers.map(layerBlob),
      facts: daemonFacts(info, rows, config, this.name),
    };
    return { image, id: info.Id, layers: layout.layers };
  }

  /** One export scan per source; a failed one is forgotten so that a retry scans again. */
  private resolved(): Promise<Resolution> {
    if (this.resolution === undefined) {
      const pending = this.load();
      this.resolution = pending;
      pending.catch(() => {
        if (this.resolution === pending) this.resolution = undefined;
      });
    }
    return this.resolution;
  }

  async resolve(): Promise<ResolvedImage> {
    return (await this.resolved()).image;
  }

  async openLayer(layer: LayerBlob, index: number, options?: OpenLayerOptions): Promise<Readable> {
    const { id, layers } = await this.resolved();
    const entry = layers[index];
    if (entry === undefined) throw notFound(`${this.name} has no layer ${index}`);
    const what = `layer ${index} of ${this.name}`;
    const out = new VerifyingStream(layer.digest ?? entry.digest, layer.size ?? entry.size, what, {
      hash: sourceHashes(options),
    });
    const body = await exportImage(this.client, id);
    pipeExportEntry(body, entry.path, out, this.exportWhat, this.mapStreamError).catch((err: unknown) =>
      out.destroy(isStrataError(err) ? err : invalid(`${what}: ${(err as Error).message}`, err)),
    );
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

export async function createDockerDaemonSource(
  loc: DaemonLocation,
  options: SourceOptions,
): Promise<ImageSource> {
  const client = await EngineClient.connect(resolveEndpoint(options.dockerHost));
  return new DockerDaemonSource(loc.name, client);
}
