import { homedir } from 'node:os';
import { join } from 'node:path';

/** The store's root: $STRATA_ROOT, else $XDG_DATA_HOME/strata, else ~/.local/share/strata. */
export function strataRoot(): string {
  if (process.env.STRATA_ROOT) return process.env.STRATA_ROOT;
  const xdg = process.env.XDG_DATA_HOME;
  return xdg ? join(xdg, 'strata') : join(homedir(), '.local', 'share', 'strata');
}
