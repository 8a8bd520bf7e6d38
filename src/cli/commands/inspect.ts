import type { Command } from 'commander';
import { inspectView } from '../../image/inspect.js';
import { layerSizes } from '../../image/sizes.js';
import { goJSONIndent } from '../format/go-json.js';
import { parseTemplate } from '../format/template.js';
import { formatRFC3339Nano } from '../../format/units.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions } from '../options.js';
import { templateNeeds, withImage } from './with-image.js';

interface InspectOptions extends ImageCommandOptions {
  format?: string;
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function registerInspect(program: Command, io: CliIO): void {
  const cmd = program
    .command('inspect')
    .description(
      "show an image's metadata as docker image inspect does, plus its manifest and layer database",
    )
    .argument('<image>', 'image reference, with an optional transport prefix')
    .option('-f, --format <template>', 'format output using a Go template, or "json"');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (ref: string, opts: InspectOptions) => {
    const template = opts.format && opts.format !== 'json' ? parseTemplate(opts.format) : undefined;
    await withImage(ref, opts, async (image, source) => {
      const needSizes =
        !opts.format || opts.format === 'json' || templateNeeds(opts.format, ['Size', 'Strata']);
      const sizes = needSizes ? await layerSizes(source, image) : [];
      const view = inspectView(image, sizes, (ts) => (ts ? formatRFC3339Nano(ts) : GO_ZERO_TIME));
      if (template) io.out(template.execute(view) + '\n');
      else io.out(goJSONIndent([view]) + '\n');
    });
  });
}
