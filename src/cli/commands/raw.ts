import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions } from '../options.js';
import { withImage } from './with-image.js';

/**
 * `strata manifest` and `strata config`: the documents exactly as the source holds them, byte for
 * byte. For a multi-platform reference, `manifest` prints the index unless --platform picks an image.
 */
export function registerRaw(program: Command, io: CliIO): void {
  const manifest = program
    .command('manifest')
    .description('print the manifest (or index) exactly as stored at the source')
    .argument('<image>', 'image reference, with an optional transport prefix');
  for (const o of imageOptions()) manifest.addOption(o);
  manifest.action(async (ref: string, opts: ImageCommandOptions) => {
    await withImage(ref, opts, async (image) => {
      io.out(image.index && !opts.platform ? image.index.bytes : image.manifest.bytes);
    });
  });

  const config = program
    .command('config')
    .description('print the image config exactly as stored at the source')
    .argument('<image>', 'image reference, with an optional transport prefix');
  for (const o of imageOptions()) config.addOption(o);
  config.action(async (ref: string, opts: ImageCommandOptions) => {
    await withImage(ref, opts, async (image) => {
      io.out(image.config.bytes);
    });
  });
}
