import { type ImageLocation, parseLocation } from '../reference/transport.js';
import type { ImageDestination, ImageSource, SourceOptions } from './types.js';

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
    case 'strata':
      return (await import('./store.js')).createStoreSource(loc, options);
  }
}

/** Open the destination a location names, for copy (pull, push, save, load). */
export async function openDestination(
  location: string | ImageLocation,
  options: SourceOptions = {},
): Promise<ImageDestination> {
  const loc = typeof location === 'string' ? parseLocation(location) : location;
  switch (loc.transport) {
    case 'docker':
      return (await import('./registry-destination.js')).createRegistryDestination(loc, options);
    case 'docker-archive':
      return (await import('./docker-archive-destination.js')).createDockerArchiveDestination(loc, options);
    case 'oci':
      return (await import('./oci-destination.js')).createOciLayoutDestination(loc, options);
    case 'oci-archive':
      return (await import('./oci-destination.js')).createOciArchiveDestination(loc, options);
    case 'docker-daemon':
      return (await import('./docker-daemon-destination.js')).createDockerDaemonDestination(loc, options);
    case 'strata':
      return (await import('./store.js')).createStoreDestination(loc, options);
  }
}
