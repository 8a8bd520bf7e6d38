import { inject } from 'vitest';

/** The fixture images, one build context each under test/fixtures/dockerfiles/. */
export const FIXTURE_NAMES = ['deletes', 'opaque', 'links', 'names', 'metadata', 'large'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

/** One fixture image, held in every shape the peers produce. */
export interface PeerImage {
  name: FixtureName;
  /** The name the engine holds it under (pulled back from the registry, so history shows <missing>). */
  dockerRef: string;
  /** 127.0.0.1:PORT/strata-fixture/NAME:1 */
  registryRef: string;
  /** `docker save` tar of the image as built. */
  archive: string;
  /** OCI layout dir written by skopeo from the registry, digests preserved (the same image); tagged ociTag. */
  ociDir: string;
  ociTag: string;
  /** OCI archive written by skopeo from the registry, digests preserved, tagged ociTag. */
  ociArchive: string;
  /** OCI layout dir where skopeo converted manifest and config to OCI types (a new config, so a new ID). */
  ociConvertedDir: string;
}

/** What the global set-up started and made, handed to every test file. */
export interface Peers {
  /** unix:///…/sock of the private Docker Engine */
  dockerHost: string;
  dockerDataRoot: string;
  /** 127.0.0.1:PORT of the plain-HTTP registry */
  registry: string;
  /** Temp dir holding the archives and layouts; removed at teardown. */
  workDir: string;
  images: PeerImage[];
  /** An image built locally and kept as built: its history rows have real intermediate image IDs. */
  localImage: string;
  /** The imported busybox base every fixture starts FROM. */
  baseImage: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    peers: Peers;
  }
}

export function peers(): Peers {
  return inject('peers');
}

export function peerImage(name: FixtureName): PeerImage {
  const image = peers().images.find((i) => i.name === name);
  if (!image) throw new Error(`no fixture image named ${name}`);
  return image;
}
