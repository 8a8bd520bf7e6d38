import type { Command } from 'commander';
import { StrataError } from '../../errors.js';
import { absolute, locateFile, writeMember } from '../../flatten/stored-file.js';
import { layerIndexes } from '../../image/layer-indexes.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions } from '../options.js';
import { pickLayer } from './tree.js';
import { withImage } from './with-image.js';

interface CatOptions extends ImageCommandOptions {
  layer?: string;
}

export function registerCat(program: Command, io: CliIO): void {
  const cmd = program
    .command('cat')
    .description("print a file's content as the image (or layer N) shows it")
    .argument('<image>', 'image reference, with an optional transport prefix')
    .argument('<path>', 'absolute path inside the image')
    .option('--layer <n>', 'the file as of layer N (0 is the base; default: the top)');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (ref: string, path: string, opts: CatOptions) => {
    if (!path.startsWith('/')) throw new StrataError('usage', `${path}: want an absolute path`);
    const wanted = absolute(path);
    await withImage(ref, opts, async (image, source) => {
      const indexes = await layerIndexes(source, image);
      const stored = locateFile(indexes, pickLayer(opts.layer, indexes), wanted);
      await writeMember(source, image, stored, (chunk) => io.out(chunk));
    });
  });
}
