import type { Command } from 'commander';
import { StrataError } from '../../errors.js';
import { layerIndexes } from '../../image/layer-indexes.js';
import { type UnionTree, buildUnion } from '../../union/tree.js';
import { renderTableOrLines } from '../format/template.js';
import { humanSizeWithPrecision } from '../../format/units.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions } from '../options.js';
import { type DiffSummary, type PathDiff, diffTrees, summarise } from '../../union/diff.js';
import { MARKERS } from '../tree-render.js';
import { pickLayer } from './tree.js';
import { withImage } from './with-image.js';

interface DiffOptions extends ImageCommandOptions {
  layers?: string[];
  format?: string;
}

const size = (n: number) => humanSizeWithPrecision(n, 3);

/** The merged tree at the top of an image, or at layer N when given. */
async function unionOf(ref: string, opts: DiffOptions, layer?: string): Promise<UnionTree> {
  return withImage(ref, opts, async (image, source) => {
    const indexes = await layerIndexes(source, image);
    return buildUnion(indexes, pickLayer(layer, indexes));
  });
}

/** Both sides: two images, or two layers of the one image (--layers N M). */
async function sides(refs: string[], opts: DiffOptions): Promise<[UnionTree, UnionTree]> {
  if (opts.layers) {
    if (opts.layers.length !== 2 || refs.length !== 1)
      throw new StrataError('usage', 'diff --layers N M takes one image and two layer numbers');
    const [n, m] = opts.layers as [string, string];
    return withImage(refs[0] as string, opts, async (image, source) => {
      const indexes = await layerIndexes(source, image);
      return [buildUnion(indexes, pickLayer(n, indexes)), buildUnion(indexes, pickLayer(m, indexes))];
    });
  }
  if (refs.length !== 2) throw new StrataError('usage', 'diff wants two images (or one with --layers N M)');
  const a = await unionOf(refs[0] as string, opts);
  const b = await unionOf(refs[1] as string, opts);
  return [a, b];
}

function summaryLine(s: DiffSummary): string {
  const net = s.modifiedBytes >= 0 ? `+${size(s.modifiedBytes)}` : `-${size(-s.modifiedBytes)}`;
  return `${s.added} added (${size(s.addedBytes)}), ${s.removed} removed (${size(s.removedBytes)}), ${s.modified} modified (${net})\n`;
}

function printTable(diffs: PathDiff[], io: CliIO): void {
  if (diffs.length > 0) {
    const rows = diffs.map((d) => ({
      Mark: MARKERS[d.change],
      Size: size(d.size),
      Path: d.path,
      Fields: d.fields.join(','),
    }));
    io.out(
      renderTableOrLines({
        format: 'table {{.Mark}}\t{{.Size}}\t{{.Path}}\t{{.Fields}}',
        rows,
        headers: { Mark: 'CHG', Size: 'SIZE', Path: 'PATH', Fields: 'CHANGED' },
      }),
    );
  }
  io.out(summaryLine(summarise(diffs)));
}

export function registerDiff(program: Command, io: CliIO): void {
  const cmd = program
    .command('diff')
    .description('compare the merged file trees of two images, or of two layers of one image')
    .argument('<images...>', 'two image references (one with --layers), with optional transport prefixes')
    .option('--layers <n...>', 'compare the tree at layer N with the tree at layer M of one image')
    .option('--format <format>', '"json" for one JSON object per path, then the summary');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (refs: string[], opts: DiffOptions) => {
    if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'table')
      throw new StrataError('usage', `--format ${opts.format}: want table or json`);
    const [a, b] = await sides(refs, opts);
    const diffs = diffTrees(a, b);
    if (opts.format !== 'json') return printTable(diffs, io);
    for (const d of diffs) io.out(`${JSON.stringify(d)}\n`);
    io.out(`${JSON.stringify({ summary: summarise(diffs) })}\n`);
  });
}
