import { invalid } from '../errors.js';
import { parseDigest } from './digest.js';
import { parseJSON } from './manifest.js';

/** The Docker / OCI container configuration (the "config" object inside an image config). */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[] | null;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  // Docker's legacy (v1) fields, present in configs written by the engine's builder and commit.
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  comment?: string;
  id?: string;
  parent?: string;
}

/** Parse and sanity-check an image config. Unknown fields are kept (the raw bytes stay the truth). */
export function parseImageConfig(bytes: Uint8Array, what = 'image config'): ImageConfig {
  const json = parseJSON(bytes, what);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalid(`${what} is not a JSON object`);
  const cfg = json as Record<string, unknown>;
  const rootfs = cfg.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (typeof rootfs !== 'object' || rootfs === null) throw invalid(`${what} has no rootfs`);
  if (!Array.isArray(rootfs.diff_ids)) throw invalid(`${what} has no rootfs.diff_ids`);
  rootfs.diff_ids.forEach((d, i) => {
    if (typeof d !== 'string') throw invalid(`${what}: rootfs.diff_ids[${i}] is not a string`);
    parseDigest(d, `${what}: rootfs.diff_ids[${i}]`);
  });
  if (cfg.history !== undefined && !Array.isArray(cfg.history))
    throw invalid(`${what}: history is not a list`);
  const history = (cfg.history as HistoryEntry[] | undefined) ?? [];
  const nonEmpty = history.filter((h) => !h?.empty_layer).length;
  if (history.length > 0 && nonEmpty > rootfs.diff_ids.length) {
    throw invalid(
      `${what}: history has ${nonEmpty} layer entries but rootfs has ${rootfs.diff_ids.length} diff_ids`,
    );
  }
  return json as ImageConfig;
}
