import { parseLocation } from '../../src/reference/transport.js';
import { createDockerArchiveSource } from '../../src/transports/docker-archive.js';
import { createOciArchiveSource } from '../../src/transports/oci-archive.js';
import { createOciLayoutSource } from '../../src/transports/oci-layout.js';
import type { ImageSource } from '../../src/transports/types.js';

/** Open a file-based location with this suite's factories only (no registry or engine code loaded). */
export function openSourceFor(location: string): Promise<ImageSource> {
  const loc = parseLocation(location);
  switch (loc.transport) {
    case 'docker-archive':
      return createDockerArchiveSource(loc, {});
    case 'oci':
      return createOciLayoutSource(loc, {});
    case 'oci-archive':
      return createOciArchiveSource(loc, {});
    default:
      throw new Error(`not a file transport: ${location}`);
  }
}
