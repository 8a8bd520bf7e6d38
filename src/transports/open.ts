import { type ImageLocation, parseLocation } from '../reference/transport.js';
import type { ImageSource, SourceOptions } from './types.js';

/**
 * Open the source a transport-prefixed string (or a bare registry reference) names. Each transport is
 * loaded on first use: the HTTP stack alone costs more start-up time than reading a local archive.
 */
export async function openSource(
  location: string | ImageLocation,
  options: SourceOptions = {},
): Promise<ImageSource> {
  const loc = typeof location === 'string' ? parseLocation(location) : location;
  switch (loc.transport) {
    case 'docker':
      return (await import('./registry.js')).createRegistrySource(loc, options);
    case 'docker-archive':
      return (await import('./docker-archive.js')).createDockerArchiveSource(loc, options);
    case 'oci':
      return (await import('./oci-layout.js')).createOciLayoutSource(loc, options);
    case 'oci-archive':
      return (await import('./oci-archive.js')).createOciArchiveSource(loc, options);
    case 'docker-daemon':
      return (await import('./docker-daemon.js')).createDockerDaemonSource(loc, options);
  }
}
