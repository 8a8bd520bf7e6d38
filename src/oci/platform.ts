import { StrataError } from '../errors.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64el: 'mips64le',
  loong64: 'loong64',
};

/** The host's platform, normalised as containerd does (arm64 → variant v8). */
export function hostPlatform(): Platform {
  const arch = NODE_ARCH[process.arch] ?? process.arch;
  const os =
    process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'linux' : process.platform;
  return normalizePlatform({ os, architecture: arch });
}

export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  switch (architecture) {
    case 'x86_64':
    case 'x86-64':
      architecture = 'amd64';
      if (variant === 'v1') variant = undefined;
      break;
    case 'i386':
      architecture = '386';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === undefined || variant === '8') variant = 'v8';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === undefined) variant = 'v7';
      else if (/^\d+$/.test(variant)) variant = `v${variant}`;
      break;
    case 'amd64':
      if (variant === 'v1') variant = undefined;
      break;
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Parse "os/arch[/variant]" as given to --platform. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new StrataError('usage', `invalid platform "${text}": want os/arch[/variant], e.g. linux/arm64`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Variants that a platform can also run, best first (containerd's "Only" matcher). */
function compatibleVariants(p: Platform): Array<{ architecture: string; variant?: string }> {
  const out: Array<{ architecture: string; variant?: string }> = [];
  if (p.architecture === 'amd64') {
    const level = p.variant ? Number(p.variant.slice(1)) : 1;
    for (let v = level; v >= 2; v--) out.push({ architecture: 'amd64', variant: `v${v}` });
    out.push({ architecture: 'amd64' });
    out.push({ architecture: '386' });
  } else if (p.architecture === 'arm64') {
    out.push({ architecture: 'arm64', variant: p.variant ?? 'v8' });
    if (p.variant !== 'v8') out.push({ architecture: 'arm64', variant: 'v8' });
    for (let v = 8; v >= 5; v--) out.push({ architecture: 'arm', variant: `v${v}` });
  } else if (p.architecture === 'arm') {
    const level = p.variant ? Number(p.variant.slice(1)) : 7;
    for (let v = level; v >= 5; v--) out.push({ architecture: 'arm', variant: `v${v}` });
  } else {
    out.push({ architecture: p.architecture, variant: p.variant });
  }
  return out;
}

/**
 * Rank of a candidate platform for a wanted one: 0 is the best match, larger is worse, undefined is
 * no match. Entries without a platform match everything but rank last, as in Docker.
 */
export function platformRank(wanted: Platform, candidate: Platform | undefined): number | undefined {
  if (candidate === undefined) return Number.MAX_SAFE_INTEGER;
  const want = normalizePlatform(wanted);
  const have = normalizePlatform(candidate);
  if (want.os !== have.os) return undefined;
  const list = compatibleVariants(want);
  const idx = list.findIndex(
    (c) => c.architecture === have.architecture && (c.variant ?? '') === (have.variant ?? ''),
  );
  if (idx >= 0) return idx;
  // A candidate that names no variant matches any variant of its architecture.
  if (have.variant === undefined && list.some((c) => c.architecture === have.architecture)) {
    return list.length;
  }
  return undefined;
}
