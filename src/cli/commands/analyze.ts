import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type CiRules,
  type CiVerdict,
  evaluateRules,
  parseCiFile,
  parseRule,
} from '../../analysis/ci-rules.js';
import { diveAnalysis } from '../../analysis/dive.js';
import { annotatedBase } from '../../analysis/base.js';
import { imageWaste } from '../../analysis/image-waste.js';
import { StrataError } from '../../errors.js';
import { type Image, openImage } from '../../image/image.js';
import { layerIndexes } from '../../image/layer-indexes.js';
import { renderTableOrLines } from '../format/template.js';
import { humanSizeWithPrecision } from '../../format/units.js';
import { CiFailed } from '../ci-failed.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions, toOpenOptions } from '../options.js';
import { withImage } from './with-image.js';

interface AnalyzeOptions extends ImageCommandOptions {
  base?: string;
  dive?: boolean;
  ci?: boolean;
  ciConfig?: string;
  lowestEfficiency?: string;
  highestWastedBytes?: string;
  highestUserWastedPercent?: string;
  format?: string;
  top?: string;
}

interface BaseChoice {
  layers: number;
  /** Where the base came from, for the report. */
  from: string;
}

const size = (n: number) => humanSizeWithPrecision(n, 3);
const pct = (r: number | null) => (r === null || !Number.isFinite(r) ? 'n/a' : `${(r * 100).toFixed(4)}%`);

/** The base's layer count when its diffIDs start the image's, else undefined. */
async function baseLayersOf(
  ref: string,
  opts: AnalyzeOptions,
  diffIDs: string[],
): Promise<number | undefined> {
  const { image: base, source } = await openImage(ref, toOpenOptions(opts));
  await source.close();
  const ids = base.layers.map((l) => l.diffID);
  return ids.length <= diffIDs.length && ids.every((d, i) => d === diffIDs[i]) ? ids.length : undefined;
}

/**
 * Which bottom layers are the base: --base (which must be one), else the image's base-image annotations
 * when that image can be read and is one, else the first layer, as dive counts. `from` says which.
 */
async function chooseBase(opts: AnalyzeOptions, image: Image): Promise<BaseChoice> {
  const diffIDs = image.layers.map((l) => l.diffID);
  if (opts.base) {
    const layers = await baseLayersOf(opts.base, opts, diffIDs);
    if (layers === undefined)
      throw new StrataError(
        'usage',
        `--base ${opts.base} is not a base of this image: its layers are not the first ones`,
      );
    return { layers, from: `--base ${opts.base}` };
  }
  const annotated = annotatedBase(image.manifest.bytes);
  if (annotated) {
    try {
      const layers = await baseLayersOf(annotated, opts, diffIDs);
      if (layers !== undefined) return { layers, from: `annotation ${annotated}` };
      return { layers: 1, from: `first layer (the annotated base ${annotated} is not a base of this image)` };
    } catch (err) {
      return {
        layers: 1,
        from: `first layer (the annotated base ${annotated} cannot be read: ${(err as Error).message})`,
      };
    }
  }
  return { layers: 1, from: 'first layer' };
}

/** Rules from the file (an explicit --ci-config, else ./.dive-ci when present), then flags on top. */
function ciRules(opts: AnalyzeOptions): CiRules {
  const file = opts.ciConfig ?? (existsSync('.dive-ci') ? '.dive-ci' : undefined);
  const rules: CiRules = file ? parseCiFile(readText(file), file) : {};
  for (const key of ['lowestEfficiency', 'highestWastedBytes', 'highestUserWastedPercent'] as const) {
    const flag = opts[key];
    if (flag !== undefined) rules[key] = parseRule(key, flag);
  }
  return rules;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new StrataError('not-found', `CI rules file ${path}: cannot be read`);
  }
}

function ciReport(verdicts: CiVerdict[], io: CliIO): boolean {
  const shown = (v: CiVerdict) =>
    v.rule === 'highestWastedBytes'
      ? [`${v.value ?? 'n/a'} bytes`, `≤ ${v.limit} bytes`]
      : v.rule === 'lowestEfficiency'
        ? [String(v.value), `≥ ${v.limit}`]
        : [String(v.value ?? 'n/a'), `≤ ${v.limit}`];
  const rows = verdicts.map((v) => ({
    Rule: v.rule,
    Value: shown(v)[0],
    Limit: shown(v)[1],
    Status: v.status,
  }));
  if (rows.length > 0) {
    io.out(
      renderTableOrLines({
        format: 'table {{.Rule}}\t{{.Value}}\t{{.Limit}}\t{{.Status}}',
        rows,
        headers: { Rule: 'RULE', Value: 'VALUE', Limit: 'LIMIT', Status: 'RESULT' },
      }),
    );
  }
  const failed = verdicts.filter((v) => v.status === 'FAIL').length;
  const passed = verdicts.filter((v) => v.status === 'PASS').length;
  const skipped = verdicts.length - failed - passed;
  io.out(
    `Result: ${failed > 0 ? 'FAIL' : 'PASS'} (${verdicts.length} rules: ${passed} passed, ${failed} failed, ${skipped} skipped)\n`,
  );
  return failed === 0;
}

export function registerAnalyze(program: Command, io: CliIO): void {
  const cmd = program
    .command('analyze')
    .description(
      'count the bytes an image stores but does not show (overwritten, deleted, hidden), and gate CI on them',
    )
    .argument('<image>', 'image reference, with an optional transport prefix')
    .option('--base <image>', 'the base image: waste is also reported for what the image adds on top of it')
    .option('--dive', "report dive's own figures (its algorithm, including its miscounts), for comparison")
    .option('--ci', 'check the rules and exit 1 when one fails')
    .option('--ci-config <file>', 'rules file in .dive-ci format (default: ./.dive-ci when present)')
    .option('--lowestEfficiency <ratio>', 'CI rule: fail below this efficiency (0–1)')
    .option('--highestWastedBytes <size>', 'CI rule: fail above this many wasted bytes (e.g. 20MB)')
    .option(
      '--highestUserWastedPercent <ratio>',
      'CI rule: fail above this share of the user layers wasted (0–1)',
    )
    .option('--top <n>', 'wasted files to list', '20')
    .option('--format <format>', '"json" for machines');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (ref: string, opts: AnalyzeOptions) => {
    const top = Number(opts.top ?? 20);
    if (!Number.isInteger(top) || top < 0) throw new StrataError('usage', '--top wants a whole number');
    const rules = opts.ci ? ciRules(opts) : {};
    let ok = true;
    await withImage(ref, opts, async (image, source) => {
      if (opts.dive) {
        const d = diveAnalysis(await layerIndexes(source, image));
        if (opts.format === 'json') io.out(`${JSON.stringify(d)}\n`);
        else printDive(d, top, io);
        if (opts.ci)
          ok = ciReport(
            evaluateRules(rules, {
              efficiency: d.efficiency,
              wastedBytes: d.wastedBytes,
              userWastedPercent: d.wastedUserPercent,
            }),
            io,
          );
        return;
      }
      const base = await chooseBase(opts, image);
      const w = await imageWaste(source, image, {
        baseLayers: base.layers,
        // JSON lists every wasted file; the text report only the top ones.
        firstFiles: opts.format === 'json' ? undefined : top,
      });
      if (opts.format === 'json')
        io.out(`${JSON.stringify({ image: image.name, id: image.id, baseFrom: base.from, ...w })}\n`);
      else {
        io.out(`Image            ${image.name}\n`);
        io.out(`Layers           ${image.layers.length} (base: ${w.base.layers}, ${base.from})\n`);
        io.out(`Stored           ${size(w.imageBytes)} (${w.imageBytes} bytes, unpacked, all layers)\n`);
        io.out(`Visible          ${size(w.visibleBytes)} (${w.visibleBytes} bytes)\n`);
        io.out(
          `Wasted           ${size(w.wastedBytes)} (${w.wastedBytes} bytes in ${w.fileCount} stored ${w.fileCount === 1 ? 'copy' : 'copies'})\n`,
        );
        io.out(`Efficiency       ${pct(w.efficiency)}\n`);
        io.out(
          `Above the base   ${size(w.user.wastedBytes)} wasted of ${size(w.user.sizeBytes)} added (${pct(w.user.wastedPercent)}); ${pct(w.user.shareOfWaste)} of all waste\n`,
        );
        if (w.fileCount > 0 && top > 0) {
          io.out('\n');
          const rows = w.files.slice(0, top).map((f) => ({
            Size: size(f.size),
            Path: f.path,
            Stored: `layer ${f.storedIn}`,
            Why: `layer ${f.removedIn}: ${f.reason}${f.by !== f.path ? ` ${f.by}` : ''}`,
          }));
          io.out(
            renderTableOrLines({
              format: 'table {{.Size}}\t{{.Path}}\t{{.Stored}}\t{{.Why}}',
              rows,
              headers: { Size: 'WASTED', Path: 'PATH', Stored: 'STORED IN', Why: 'MADE WASTE BY' },
            }),
          );
          if (w.fileCount > top) io.out(`… and ${w.fileCount - top} more (--top N)\n`);
        }
      }
      if (opts.ci)
        ok = ciReport(
          evaluateRules(rules, {
            efficiency: w.efficiency,
            wastedBytes: w.wastedBytes,
            userWastedPercent: w.user.wastedPercent,
          }),
          io,
        );
    });
    if (!ok) throw new CiFailed();
  });
}

function printDive(d: ReturnType<typeof diveAnalysis>, top: number, io: CliIO): void {
  io.out("dive's figures (its algorithm, as dive computes them):\n");
  io.out(`  efficiency           ${d.efficiency}\n`);
  io.out(`  image size           ${d.sizeBytes}\n`);
  io.out(`  user size            ${d.userSizeBytes}\n`);
  io.out(`  wasted bytes         ${d.wastedBytes}\n`);
  io.out(`  user wasted percent  ${d.wastedUserPercent}\n`);
  if (d.inefficiencies.length > 0 && top > 0) {
    io.out('\n');
    const rows = d.inefficiencies
      .slice(0, top)
      .map((i) => ({ Count: String(i.count), Total: size(i.cumulativeSize), Path: i.path }));
    io.out(
      renderTableOrLines({
        format: 'table {{.Count}}\t{{.Total}}\t{{.Path}}',
        rows,
        headers: { Count: 'COUNT', Total: 'TOTAL SPACE', Path: 'PATH' },
      }),
    );
  }
}
