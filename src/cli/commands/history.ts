import type { Command } from 'commander';
import { shortId } from '../../oci/digest.js';
import { type HistoryRow, MISSING_ID, historyRows } from '../../image/history.js';
import { layerSizes } from '../../image/sizes.js';
import { renderTableOrLines } from '../format/template.js';
import { ellipsis, replaceTabs } from '../../format/text.js';
import { createdSince, formatRFC3339Local, humanSizeWithPrecision } from '../../format/units.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions, parseBool } from '../options.js';
import { templateNeeds, withImage } from './with-image.js';

const HEADERS = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

const DEFAULT_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const NON_HUMAN_TABLE = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

interface HistoryOptions extends ImageCommandOptions {
  noTrunc?: boolean;
  trunc?: boolean;
  human?: string | boolean;
  quiet?: boolean;
  format?: string;
}

/** The docker CLI's history format choice: quiet and -H only shape the default table. */
export function historyFormat(format: string | undefined, quiet: boolean, human: boolean): string {
  if (format === 'json') return '{{json .}}';
  if (format && format !== 'table') return format;
  if (quiet) return '{{.ID}}';
  return human ? DEFAULT_TABLE : NON_HUMAN_TABLE;
}

/** A history row as the docker CLI's template sees it (keys in the order `{{json .}}` prints them). */
export function historyContext(row: HistoryRow, o: { trunc: boolean; human: boolean; nowMs: number }) {
  const createdAt = formatRFC3339Local(row.created);
  const createdBy = replaceTabs(row.createdBy);
  return {
    Comment: row.comment,
    CreatedAt: createdAt,
    CreatedBy: o.trunc ? ellipsis(createdBy, 45) : createdBy,
    CreatedSince: o.human ? createdSince(row.created, o.nowMs) : createdAt,
    ID: row.id === MISSING_ID || !o.trunc ? row.id : shortId(row.id),
    Size: o.human ? humanSizeWithPrecision(row.size, 3) : String(row.size),
  };
}

export function registerHistory(program: Command, io: CliIO): void {
  const cmd = program
    .command('history')
    .description('show the history of an image, as docker history does')
    .argument('<image>', 'image reference, with an optional transport prefix')
    .option('--no-trunc', "don't truncate output")
    .option('-H, --human [bool]', 'print sizes and dates in human readable format', true)
    .option('-q, --quiet', 'only show image IDs')
    .option('--format <template>', 'format output using a Go template, "table", or "json"');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (ref: string, opts: HistoryOptions) => {
    const human = parseBool(opts.human, '--human');
    const trunc = opts.trunc !== false;
    const format = historyFormat(opts.format, opts.quiet === true, human);
    await withImage(ref, opts, async (image, source) => {
      const sizes = templateNeeds(format, ['Size']) ? await layerSizes(source, image) : [];
      const rows = historyRows(image, sizes).map((r) => historyContext(r, { trunc, human, nowMs: io.now() }));
      io.out(renderTableOrLines({ format, rows, headers: HEADERS }));
    });
  });
}
