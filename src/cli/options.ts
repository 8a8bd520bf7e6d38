import { Option } from 'commander';
import { StrataError } from '../errors.js';
import type { OpenImageOptions } from '../image/image.js';
import { parsePlatform } from '../oci/platform.js';

/** Options shared by every command that reads an image. */
export interface ImageCommandOptions {
  platform?: string;
  insecure?: boolean;
  creds?: string;
  authfile?: string;
}

export const imageOptions = (): Option[] => [
  new Option(
    '--platform <os/arch[/variant]>',
    'platform to pick from a multi-platform image (default: this host)',
  ),
  new Option('--insecure', 'allow plain HTTP and unverified TLS for registries not on loopback'),
  new Option('--creds <user:password>', 'registry credentials (default: from the Docker config file)'),
  new Option('--authfile <path>', 'Docker config file with registry credentials'),
];

export function toOpenOptions(o: ImageCommandOptions): OpenImageOptions {
  const out: OpenImageOptions = { insecure: o.insecure, authFile: o.authfile };
  if (o.platform) out.platform = parsePlatform(o.platform);
  if (o.creds !== undefined) {
    const colon = o.creds.indexOf(':');
    if (colon <= 0) throw new StrataError('usage', '--creds wants user:password');
    out.username = o.creds.slice(0, colon);
    out.password = o.creds.slice(colon + 1);
  }
  return out;
}

/** Parse Docker-style boolean flag values: -H=false, --human=0, --human true. */
export function parseBool(value: string | boolean | undefined, flag: string): boolean {
  if (value === undefined || value === true) return true;
  const v = String(value).replace(/^=/, '').toLowerCase();
  if (['true', '1', 't', 'yes'].includes(v)) return true;
  if (['false', '0', 'f', 'no'].includes(v)) return false;
  throw new StrataError('usage', `invalid value "${value}" for ${flag}: want true or false`);
}
