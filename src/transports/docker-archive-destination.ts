import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BlobDir } from '../archive/blob-dir.js';
import { DockerArchiveWriter, tagReference } from '../archive/docker-archive-writer.js';
import { StagedTarget } from '../archive/target-file.js';
import { tarStream } from '../archive/tar-writer.js';
import { StrataError } from '../errors.js';
import { formatReference } from '../reference/reference.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import type {
  BlobInfo,
  BlobInput,
  BlobProgress,
  ImageDestination,
  ImageToCommit,
  SourceOptions,
} from './types.js';

/**
 * The blob and image half of a docker-archive destination, shared with docker-daemon: blobs are staged
 * in `stageDir`, images recorded, and `finish` hands over the archive as a stream.
 */
export interface DockerArchiveStage {
  writer: DockerArchiveWriter;
  hasBlob(blob: BlobInfo): Promise<boolean>;
  putBlob(blob: BlobInput, content: Readable, onProgress?: BlobProgress): Promise<BlobInfo>;
  /** Commit with the tags given, or with `override` (a single image only). */
  commitImage(image: ImageToCommit): Promise<{ digest: string }>;
  /** The whole archive as a stream, read from the staged blobs. */
  archive(): Promise<Readable>;
}

export async function createDockerArchiveStage(
  stageDir: string,
  what: string,
  override: string | undefined,
): Promise<DockerArchiveStage> {
  const blobs = new BlobDir(join(stageDir, 'layout'), what);
  await blobs.init();
  const writer = new DockerArchiveWriter(blobs, what);
  const overrideTag = override === undefined ? undefined : formatReference(tagReference(override, what));
  return {
    writer,
    hasBlob: (blob) => blobs.has(blob),
    putBlob: (blob, content, onProgress) => blobs.put(blob, content, onProgress),
    async commitImage(image) {
      if (overrideTag !== undefined && writer.imageCount > 0) {
        throw new StrataError(
          'usage',
          `${what} names one tag (${override}) but more than one image was saved`,
          {
            hint: 'name the tags in the images, not in the destination',
          },
        );
      }
      const tags = overrideTag === undefined ? image.tags : [overrideTag];
      return writer.addImage({ config: image.config, layers: image.layers, tags });
    },
    async archive() {
      return tarStream(await writer.entries());
    },
  };
}

/**
 * Write images to a `docker save` archive (`docker-archive:FILE[:TAG]`) in the Docker 25+ shape, which
 * every engine loads and OCI tools read. The file appears only at close, complete; until then
 * everything is staged beside it, and abort or a failure removes the stage.
 */
export async function createDockerArchiveDestination(
  loc: Extract<ImageLocation, { transport: 'docker-archive' }>,
  _options: SourceOptions = {},
): Promise<ImageDestination> {
  if (loc.index !== undefined) {
    throw new StrataError('usage', `docker-archive:${loc.path}:@${loc.index} selects an image to read`, {
      hint: `write with docker-archive:${loc.path} or docker-archive:${loc.path}:NAME:TAG`,
    });
  }
  const staged = await StagedTarget.beside(loc.path, loc.path);
  return stagedArchiveDestination({
    name: formatLocation(loc),
    stageDir: staged.dir,
    what: loc.path,
    override: loc.tag,
    deliver: (archive) => staged.commitStream(archive),
    cleanup: () => staged.remove(),
  });
}

/**
 * A destination that stages blobs and images in `stageDir` (shared by docker-archive and
 * docker-daemon): at close, `deliver` gets the archive when an image was committed; `cleanup` runs
 * once, at close or abort or when the stage cannot be made, whatever happens.
 */
export async function stagedArchiveDestination(options: {
  name: string;
  stageDir: string;
  what: string;
  override: string | undefined;
  deliver: (archive: Readable) => Promise<void>;
  cleanup: () => Promise<void>;
}): Promise<ImageDestination> {
  const { deliver, cleanup } = options;
  let stage: DockerArchiveStage;
  try {
    stage = await createDockerArchiveStage(options.stageDir, options.what, options.override);
  } catch (err) {
    await cleanup();
    throw err;
  }
  let finished = false;
  const finish = async (write: boolean) => {
    if (finished) return;
    finished = true;
    try {
      if (write && stage.writer.imageCount > 0) await deliver(await stage.archive());
    } finally {
      await cleanup();
    }
  };
  return {
    name: options.name,
    layerCompression: 'none',
    hasBlob: (blob) => stage.hasBlob(blob),
    putBlob: (blob, content, onProgress) => stage.putBlob(blob, content, onProgress),
    commitImage: (image) => stage.commitImage(image),
    close: () => finish(true),
    abort: () => finish(false),
  };
}
