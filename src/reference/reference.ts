import { StrataError } from '../errors.js';

/** A registry image reference, normalised by Docker's rules. */
export interface ImageReference {
  /** Registry host as written (docker.io for Docker Hub), lower-case, with the port if any. */
  domain: string;
  /** Repository path inside the registry (library/busybox on Docker Hub). */
  path: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** Docker Hub's API host, where docker.io references are fetched from. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

function bad(text: string, why: string): StrataError {
  return new StrataError('usage', `invalid reference "${text}": ${why}`);
}

/** Parse a reference like busybox, ghcr.io/a/b:1.0 or localhost:5000/x@sha256:…, the way Docker does. */
export function parseReference(text: string): ImageReference {
  if (text === '') throw bad(text, 'empty');
  if (text.length > 255 + 200) throw bad(text, 'too long');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(text, `"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(text, `"${tag}" is not a valid tag`);
  }
  let domain = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (
    slash >= 0 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  ) {
    if (!DOMAIN.test(first)) throw bad(text, `"${first}" is not a valid registry host`);
    domain = first.toLowerCase();
    path = rest.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (path !== path.toLowerCase()) throw bad(text, 'repository name must be lowercase');
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  for (const component of path.split('/')) {
    if (!COMPONENT.test(component))
      throw bad(text, `"${component}" is not a valid repository name component`);
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, tag, digest };
}

/** Fully qualified name without tag or digest: docker.io/library/busybox. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** Docker's familiar form of the repository: busybox, user/app, ghcr.io/a/b. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DOCKER_HUB) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice(8) : ref.path;
}

export function formatReference(ref: ImageReference, familiar = false): string {
  const name = familiar ? familiarName(ref) : repositoryName(ref);
  return (
    name +
    (ref.tag !== undefined && (ref.digest === undefined || familiar) ? `:${ref.tag}` : '') +
    (ref.digest ? `@${ref.digest}` : '')
  );
}

/** The host strata talks to for this reference. */
export function registryHost(ref: ImageReference): string {
  return ref.domain === DOCKER_HUB ? DOCKER_HUB_API : ref.domain;
}

/** Registries reached over plain HTTP without --insecure: loopback only. */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}
