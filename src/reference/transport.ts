import { existsSync } from 'node:fs';
import { StrataError } from '../errors.js';
import { type ImageReference, parseReference } from './reference.js';

/** Where an image lives, parsed from a transport-prefixed string like skopeo's. */
export type ImageLocation =
  | { transport: 'docker'; ref: ImageReference; text: string }
  | { transport: 'docker-archive'; path: string; tag?: string; index?: number }
  | { transport: 'oci'; path: string; tag?: string; digest?: string }
  | { transport: 'oci-archive'; path: string; tag?: string; digest?: string }
  | { transport: 'docker-daemon'; name: string }
  /** strata's own store; the name is a reference (busybox, app:1) or an image ID (prefix). */
  | { transport: 'strata'; name: string };

export const TRANSPORTS = [
  'docker',
  'docker-archive',
  'oci',
  'oci-archive',
  'docker-daemon',
  'strata',
] as const;

/** Split "PATH[:SUFFIX]" at the first colon, unless the whole text names an existing path. */
function splitPath(text: string): [string, string | undefined] {
  if (existsSync(text)) return [text, undefined];
  const colon = text.indexOf(':');
  return colon < 0 ? [text, undefined] : [text.slice(0, colon), text.slice(colon + 1)];
}

function pathOrUsage(transport: string, path: string): string {
  if (path === '')
    throw new StrataError('usage', `${transport}: needs a path, e.g. ${transport}:./image.tar`);
  return path;
}

/**
 * Parse "transport:rest", or a bare reference. A bare reference names a registry image, unless the
 * command works on the local store (images, rmi, tag, save, push): those pass defaultTransport 'strata'.
 */
export function parseLocation(text: string, defaultTransport: 'docker' | 'strata' = 'docker'): ImageLocation {
  const m = /^([a-z-]+):(.*)$/s.exec(text);
  const prefix = m?.[1];
  const rest = m?.[2] ?? '';
  switch (prefix) {
    case 'docker': {
      const refText = rest.replace(/^\/\//, '');
      return { transport: 'docker', ref: parseReference(refText), text: refText };
    }
    case 'docker-archive': {
      const [path, suffix] = splitPath(rest);
      if (suffix?.startsWith('@')) {
        const index = Number(suffix.slice(1));
        if (!Number.isInteger(index) || index < 0)
          throw new StrataError('usage', `docker-archive: "${suffix}" is not an image index`);
        return { transport: 'docker-archive', path: pathOrUsage(prefix, path), index };
      }
      return { transport: 'docker-archive', path: pathOrUsage(prefix, path), tag: suffix || undefined };
    }
    case 'oci':
    case 'oci-archive': {
      const atIdx = rest.lastIndexOf('@sha256:');
      if (atIdx >= 0 && !existsSync(rest)) {
        return {
          transport: prefix,
          path: pathOrUsage(prefix, rest.slice(0, atIdx)),
          digest: rest.slice(atIdx + 1),
        };
      }
      const [path, tag] = splitPath(rest);
      return { transport: prefix, path: pathOrUsage(prefix, path), tag: tag || undefined };
    }
    case 'docker-daemon': {
      if (rest === '') throw new StrataError('usage', 'docker-daemon: needs an image name or ID');
      return { transport: 'docker-daemon', name: rest };
    }
    case 'strata': {
      if (rest === '') throw new StrataError('usage', 'strata: needs an image name or ID');
      return { transport: 'strata', name: rest };
    }
    default:
      if (defaultTransport === 'strata') return { transport: 'strata', name: text };
      return { transport: 'docker', ref: parseReference(text), text };
  }
}

export function formatLocation(loc: ImageLocation): string {
  switch (loc.transport) {
    case 'docker':
      return `docker://${loc.text}`;
    case 'docker-archive':
      return `docker-archive:${loc.path}${loc.tag ? `:${loc.tag}` : loc.index !== undefined ? `:@${loc.index}` : ''}`;
    case 'oci':
    case 'oci-archive':
      return `${loc.transport}:${loc.path}${loc.tag ? `:${loc.tag}` : loc.digest ? `@${loc.digest}` : ''}`;
    case 'docker-daemon':
      return `docker-daemon:${loc.name}`;
    case 'strata':
      return `strata:${loc.name}`;
  }
}
