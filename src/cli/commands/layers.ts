import type { Command } from 'commander';
import { shortId } from '../../oci/digest.js';
import { type LayerRow, layerRows } from '../../image/layers-view.js';
import { layerSizes } from '../../image/sizes.js';
import { renderTableOrLines } from '../format/template.js';
import { ellipsis, replaceTabs } from '../../format/text.js';
import { humanSizeWithPrecision } from '../../format/units.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions } from '../options.js';
import { templateNeeds, withImage } from './with-image.js';

const HEADERS = {
  Index: '#',
  ChainID: 'CHAIN ID',
  ParentChainID: 'PARENT',
  DiffID: 'DIFF ID',
  Digest: 'BLOB DIGEST',
  MediaType: 'MEDIA TYPE',
  CompressedSize: 'BLOB SIZE',
  Size: 'SIZE',
  CreatedBy: 'CREATED BY',
};

const DEFAULT_TABLE =
  'table {{.Index}}\t{{.ChainID}}\t{{.ParentChainID}}\t{{.DiffID}}\t{{.Digest}}\t{{.CompressedSize}}\t{{.Size}}\t{{.CreatedBy}}';

interface LayersOptions extends ImageCommandOptions {
  trunc?: boolean;
  format?: string;
}

/** A layer row as templates see it; IDs shortened unless --no-trunc, '-' where a step made no layer. */
export function layerContext(row: LayerRow, trunc: boolean) {
  const id = (v: string | undefined) => (v === undefined ? '-' : trunc ? shortId(v) : v);
  const size = (v: number | undefined) => (v === undefined ? '-' : humanSizeWithPrecision(v, 3));
  const createdBy = replaceTabs(row.createdBy);
  return {
    Index: row.index === undefined ? '-' : String(row.index),
    ChainID: row.emptyLayer ? '' : id(row.chainID),
    ParentChainID: row.emptyLayer ? '' : id(row.parentChainID),
    DiffID: row.emptyLayer ? '' : id(row.diffID),
    Digest: row.emptyLayer ? '' : id(row.digest),
    MediaType: row.mediaType ?? '',
    CompressedSize: row.emptyLayer ? '' : size(row.compressedSize),
    Size: row.emptyLayer ? '0B' : size(row.unpackedSize),
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    EmptyLayer: row.emptyLayer,
  };
}

/** Machine form: full IDs, raw numbers, null where unknown. */
function layerJSON(row: LayerRow) {
  return {
    Index: row.index ?? null,
    ChainID: row.chainID ?? null,
    ParentChainID: row.parentChainID ?? null,
    DiffID: row.diffID ?? null,
    Digest: row.digest ?? null,
    MediaType: row.mediaType ?? null,
    CompressedSize: row.compressedSize ?? null,
    Size: row.emptyLayer ? 0 : (row.unpackedSize ?? null),
    Urls: row.urls ?? null,
    CreatedBy: row.createdBy,
    EmptyLayer: row.emptyLayer,
  };
}

export function registerLayers(program: Command, io: CliIO): void {
  const cmd = program
    .command('layers')
    .description('show the layer stack as the layer database sees it: chain IDs, diff IDs, blobs, sizes')
    .argument('<image>', 'image reference, with an optional transport prefix')
    .option('--no-trunc', "don't truncate IDs and commands")
    .option('--format <template>', 'format output using a Go template, "table", or "json"');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (ref: string, opts: LayersOptions) => {
    const trunc = opts.trunc !== false;
    const format = !opts.format || opts.format === 'table' ? DEFAULT_TABLE : opts.format;
    await withImage(ref, opts, async (image, source) => {
      const needSizes = format === 'json' || templateNeeds(format, ['Size']);
      const rows = layerRows(image, needSizes ? await layerSizes(source, image) : []);
      if (format === 'json') {
        for (const row of rows) io.out(JSON.stringify(layerJSON(row)) + '\n');
        return;
      }
      io.out(renderTableOrLines({ format, rows: rows.map((r) => layerContext(r, trunc)), headers: HEADERS }));
    });
  });
}
