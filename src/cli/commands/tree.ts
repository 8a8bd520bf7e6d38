import type { Command } from 'commander';
import { StrataError } from '../../errors.js';
import { layerIndexes } from '../../image/layer-indexes.js';
import type { LayerIndex } from '../../layer/index-types.js';
import { buildUnion } from '../../union/tree.js';
import { renderTableOrLines } from '../format/template.js';
import { humanSizeWithPrecision } from '../../format/units.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions } from '../options.js';
import type { ChangeKind } from '../../union/diff.js';
import {
  MARKERS,
  type TreeRow,
  colourLine,
  displayName,
  flatten,
  prune,
  sortView,
  viewFromChanges,
  viewFromUnion,
} from '../tree-render.js';
import { modeString } from '../../format/mode.js';
import { withImage } from './with-image.js';

interface TreeOptions extends ImageCommandOptions {
  layer?: string;
  changes?: boolean;
  filter?: string;
  sort?: string;
  depth?: string;
  only?: string;
  color?: string;
  format?: string;
}

const KINDS: readonly ChangeKind[] = ['added', 'modified', 'removed'];

/** A whole number flag, or a usage error naming it. */
export function wholeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new StrataError('usage', `${flag} wants a whole number, not "${value}"`);
  return n;
}

/** --layer N checked against the image; the top layer when absent. */
export function pickLayer(value: string | undefined, indexes: readonly LayerIndex[]): number {
  if (indexes.length === 0) throw new StrataError('invalid', 'the image has no layers');
  if (value === undefined) return indexes.length - 1;
  const n = wholeNumber(value, '--layer');
  if (n >= indexes.length)
    throw new StrataError('usage', `--layer ${n}: the image has layers 0 to ${indexes.length - 1}`);
  return n;
}

function parseOnly(value: string | undefined): Set<ChangeKind> | undefined {
  if (value === undefined) return undefined;
  const kinds = value.split(',').map((s) => s.trim());
  const bad = kinds.find((k) => !KINDS.includes(k as ChangeKind));
  if (bad !== undefined) throw new StrataError('usage', `--only ${bad}: want a list of ${KINDS.join(', ')}`);
  return new Set(kinds as ChangeKind[]);
}

function parseFilter(value: string | undefined): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(value);
  } catch (err) {
    throw new StrataError('usage', `--filter: ${(err as Error).message}`);
  }
}

/** Colour only for a person at a terminal, unless asked. */
function wantColour(value: string | undefined): boolean {
  if (value === undefined || value === 'auto') return process.stdout.isTTY === true;
  if (value === 'always') return true;
  if (value === 'never') return false;
  throw new StrataError('usage', `--color ${value}: want auto, always or never`);
}

function checkOptions(opts: TreeOptions): void {
  if (opts.only !== undefined && !opts.changes) throw new StrataError('usage', '--only goes with --changes');
  if (opts.sort !== undefined && opts.sort !== 'size' && opts.sort !== 'name')
    throw new StrataError('usage', `--sort ${opts.sort}: want size or name`);
  if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'table')
    throw new StrataError('usage', `--format ${opts.format}: want table or json`);
}

function jsonLine(row: TreeRow): string {
  const v = row.node;
  return `${JSON.stringify({
    path: v.path,
    kind: v.entry.kind,
    mode: v.entry.mode,
    uid: v.entry.uid,
    gid: v.entry.gid,
    size: v.size,
    link: v.entry.link ?? null,
    layer: v.layer ?? null,
    change: v.change ?? null,
    fields: v.fields,
  })}\n`;
}

function marker(row: TreeRow): string {
  const v = row.node;
  if (!v.change) return ' ';
  return v.change === 'modified' && v.fields.length > 0 ? `M(${v.fields.join(',')})` : MARKERS[v.change];
}

function renderTable(rows: TreeRow[], colour: boolean): string {
  const table = renderTableOrLines({
    format: 'table {{.Mark}}\t{{.Mode}}\t{{.Owner}}\t{{.Size}}\t{{.Path}}\t{{.Layer}}',
    rows: rows.map((r) => ({
      Mark: marker(r),
      Mode: modeString(r.node.entry.kind, r.node.entry.mode),
      Owner: `${r.node.entry.uid}:${r.node.entry.gid}`,
      Size: humanSizeWithPrecision(r.node.size, 3),
      Path: r.depth === 0 ? '/' : `${r.prefix}${displayName(r.node)}`,
      Layer: r.node.layer === undefined ? '' : String(r.node.layer),
    })),
    headers: { Mark: 'CHG', Mode: 'MODE', Owner: 'UID:GID', Size: 'SIZE', Path: 'PATH', Layer: 'LAYER' },
  });
  if (!colour) return table;
  const lines = table.split('\n');
  // Line 0 is the header; row i is line i+1.
  return lines.map((l, i) => (i === 0 ? l : colourLine(l, rows[i - 1]?.node.change))).join('\n');
}

export function registerTree(program: Command, io: CliIO): void {
  const cmd = program
    .command('tree')
    .description('show the merged file tree of an image (or of one layer), with who wrote each path')
    .argument('<image>', 'image reference, with an optional transport prefix')
    .option('--layer <n>', 'the tree as of layer N (0 is the base; default: the top)')
    .option('--changes', 'only what layer N added (A), modified (M) and removed (D)')
    .option('--filter <regex>', 'keep paths matching the regular expression, and their directories')
    .option('--sort <key>', '"size": largest first within each directory (default: by name)')
    .option('--depth <n>', 'levels below / to show')
    .option('--only <kinds>', 'with --changes: a list of added, modified, removed')
    .option('--color <when>', 'auto, always or never', 'auto')
    .option('--format <format>', '"json" for one JSON object per path');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (ref: string, opts: TreeOptions) => {
    checkOptions(opts);
    const filter = parseFilter(opts.filter);
    const only = parseOnly(opts.only);
    const depth = opts.depth === undefined ? undefined : wholeNumber(opts.depth, '--depth');
    const colour = wantColour(opts.color);
    await withImage(ref, opts, async (image, source) => {
      const indexes = await layerIndexes(source, image);
      const tree = buildUnion(indexes, pickLayer(opts.layer, indexes));
      const full = opts.changes ? viewFromChanges(tree.changes, tree) : viewFromUnion(tree.root);
      const view = filter || only ? prune(full, { filter, only }) : full;
      sortView(view, opts.sort === 'size' ? 'size' : 'name');
      const rows = flatten(view, depth);
      if (opts.format === 'json') io.out(rows.map(jsonLine).join(''));
      else io.out(renderTable(rows, colour));
    });
  });
}
