/** File modes as `ls -l` prints them, for the tree views of the CLI and the explorer. */
import type { EntryKind } from '../layer/index-types.js';

const TYPE_CHAR: Record<EntryKind, string> = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  hardlink: 'h',
  char: 'c',
  block: 'b',
  fifo: 'p',
  whiteout: 'w',
  opaque: 'o',
};

/** `ls -l` style: type, then rwx triplets with setuid/setgid as s/S and sticky as t/T. */
export function modeString(kind: EntryKind, mode: number): string {
  const bit = (mask: number, c: string) => (mode & mask ? c : '-');
  const special = (exec: number, flag: number, on: string) => {
    if (!(mode & flag)) return bit(exec, 'x');
    return mode & exec ? on : on.toUpperCase();
  };
  return [
    kind === 'hardlink' ? '-' : TYPE_CHAR[kind],
    bit(0o400, 'r'),
    bit(0o200, 'w'),
    special(0o100, 0o4000, 's'),
    bit(0o040, 'r'),
    bit(0o020, 'w'),
    special(0o010, 0o2000, 's'),
    bit(0o004, 'r'),
    bit(0o002, 'w'),
    special(0o001, 0o1000, 't'),
  ].join('');
}
