import { openArchive } from '../archive/open-archive.js';
import { type ImageLocation, formatLocation } from '../reference/transport.js';
import { TarBlobStore, createLayoutSource } from './oci-common.js';
import type { ImageSource, SourceOptions } from './types.js';

/** Blobs of an OCI layout stored in a tar, read through the tar's index; closing drops any temp copy. */
class ArchiveBlobStore extends TarBlobStore {
  constructor(archive: Awaited<ReturnType<typeof openArchive>>, what: string) {
    super(archive.index, what);
    this.closeArchive = archive.close;
  }

  private readonly closeArchive: () => Promise<void>;

  override close(): Promise<void> {
    return this.closeArchive();
  }
}

/** Read images from an OCI layout inside a tar file (`oci-archive:FILE[:NAME|@DIGEST]`), without extracting it. */
export async function createOciArchiveSource(
  loc: Extract<ImageLocation, { transport: 'oci-archive' }>,
  _options: SourceOptions = {},
): Promise<ImageSource> {
  const archive = await openArchive(loc.path, loc.path, 'OCI archive');
  const store = new ArchiveBlobStore(archive, loc.path);
  return createLayoutSource(formatLocation(loc), store, { tag: loc.tag, digest: loc.digest });
}
