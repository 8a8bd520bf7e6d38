import type { ContainerConfig, HistoryEntry } from '../oci/config.js';
import type { Image } from './image.js';

/**
 * Docker's container.Config as the Engine marshals it (API 1.41): every field in struct order, zero
 * values included, omitempty fields only when set.
 */
export function dockerContainerConfig(c: ContainerConfig | undefined): Record<string, unknown> {
  const cfg = c ?? {};
  const orNull = <T>(v: T | undefined) => (v === undefined ? null : v);
  const optional = (v: unknown) => (v === undefined || v === null || v === '' || v === false ? undefined : v);
  return {
    Hostname: cfg.Hostname ?? '',
    Domainname: cfg.Domainname ?? '',
    User: cfg.User ?? '',
    AttachStdin: cfg.AttachStdin ?? false,
    AttachStdout: cfg.AttachStdout ?? false,
    AttachStderr: cfg.AttachStderr ?? false,
    ExposedPorts: cfg.ExposedPorts && Object.keys(cfg.ExposedPorts).length > 0 ? cfg.ExposedPorts : undefined,
    Tty: cfg.Tty ?? false,
    OpenStdin: cfg.OpenStdin ?? false,
    StdinOnce: cfg.StdinOnce ?? false,
    Env: orNull(cfg.Env),
    Cmd: orNull(cfg.Cmd),
    Healthcheck: optional(cfg.Healthcheck),
    ArgsEscaped: optional(cfg.ArgsEscaped),
    Image: cfg.Image ?? '',
    Volumes: orNull(cfg.Volumes),
    WorkingDir: cfg.WorkingDir ?? '',
    Entrypoint: orNull(cfg.Entrypoint),
    NetworkDisabled: optional(cfg.NetworkDisabled),
    MacAddress: optional(cfg.MacAddress),
    OnBuild: orNull(cfg.OnBuild),
    Labels: orNull(cfg.Labels),
    StopSignal: optional(cfg.StopSignal),
    StopTimeout: cfg.StopTimeout ?? undefined,
    Shell: cfg.Shell && cfg.Shell.length > 0 ? cfg.Shell : undefined,
  };
}

export interface InspectLayer {
  Index: number;
  Digest: string | null;
  MediaType: string;
  CompressedSize: number | null;
  DiffID: string;
  ChainID: string;
  ParentChainID: string | null;
  UnpackedSize: number;
  Urls?: string[];
  History: HistoryEntry | null;
}

/** The strata section of inspect: what Docker hides. */
export interface StrataInspect {
  Source: string;
  ManifestDigest: string;
  ManifestMediaType: string;
  IndexDigest?: string;
  IndexMediaType?: string;
  ConfigDigest: string;
  ConfigMediaType: string;
  Layers: InspectLayer[];
}

/**
 * The image-intrinsic fields of `docker image inspect`, with Docker's names, order and values, plus a
 * Strata section. Engine-local fields (GraphDriver, Metadata.LastTagTime) are left out.
 */
export function inspectView(
  image: Image,
  layerSizes: readonly number[],
  createdNano: (ts: string | undefined) => string,
) {
  const cfg = image.configView;
  const history = cfg.history ?? [];
  const comment = cfg.comment ?? (history.length > 0 ? (history[history.length - 1]?.comment ?? '') : '');
  const size = layerSizes.reduce((a, b) => a + b, 0);
  const strata: StrataInspect = {
    Source: image.name,
    ManifestDigest: image.manifest.digest,
    ManifestMediaType: image.manifest.mediaType,
    IndexDigest: image.index?.digest,
    IndexMediaType: image.index?.mediaType,
    ConfigDigest: image.config.digest,
    ConfigMediaType: image.config.mediaType,
    Layers: image.layers.map((l) => ({
      Index: l.index,
      Digest: l.blob.digest ?? null,
      MediaType: l.blob.mediaType,
      CompressedSize: l.blob.size ?? null,
      DiffID: l.diffID,
      ChainID: l.chainID,
      ParentChainID: l.parentChainID ?? null,
      UnpackedSize: layerSizes[l.index] ?? 0,
      Urls: l.blob.urls,
      History: l.historyIndex === undefined ? null : (history[l.historyIndex] ?? null),
    })),
  };
  return {
    Id: image.id,
    RepoTags: image.facts.repoTags,
    RepoDigests: image.facts.repoDigests,
    Parent: image.facts.parent ?? '',
    Comment: comment,
    Created: createdNano(cfg.created),
    Container: cfg.container ?? '',
    ContainerConfig: dockerContainerConfig(cfg.container_config),
    DockerVersion: cfg.docker_version ?? '',
    Author: cfg.author ?? '',
    Config: cfg.config === undefined ? null : dockerContainerConfig(cfg.config),
    Architecture: cfg.architecture ?? '',
    Variant: cfg.variant || undefined,
    Os: cfg.os || process.platform,
    OsVersion: cfg['os.version'] || undefined,
    Size: size,
    RootFS: { Type: cfg.rootfs.type, Layers: cfg.rootfs.diff_ids },
    Strata: strata,
  };
}

export type InspectView = ReturnType<typeof inspectView>;
