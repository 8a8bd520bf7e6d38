import { type ImageLocation, parseLocation } from '../reference/transport.js';
import { createDockerArchiveSource } from './docker-archive.js';
import { createDockerDaemonSource } from './docker-daemon.js';
import { createOciArchiveSource } from './oci-archive.js';
import { createOciLayoutSource } from './oci-layout.js';
import { createRegistrySource } from './registry.js';
import type { ImageSource, SourceOptions } from './types.js';

/** Open the source a transport-prefixed string (or a bare registry reference) names. */
export async function openSource(
  location: string | ImageLocation,
  options: SourceOptions = {},
): Promise<ImageSource> {
  const loc = typeof location === 'string' ? parseLocation(location) : location;
  switch (loc.transport) {
    case 'docker':
      return createRegistrySource(loc, options);
    case 'docker-archive':
      return createDockerArchiveSource(loc, options);
    case 'oci':
      return createOciLayoutSource(loc, options);
    case 'oci-archive':
      return createOciArchiveSource(loc, options);
    case 'docker-daemon':
      return createDockerDaemonSource(loc, options);
  }
}
