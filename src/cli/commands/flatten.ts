import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { StagedTarget, checkTargetPath } from '../../archive/target-file.js';
import { exportImage } from '../../flatten/export.js';
import type { SkippedEntry } from '../../flatten/plan.js';
import { unpackImage } from '../../flatten/unpack.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions } from '../options.js';
import { withImage } from './with-image.js';

/** What could not be reproduced is said on stderr, one line each, never silently dropped. */
function reportSkipped(skipped: SkippedEntry[], io: CliIO): void {
  for (const s of skipped) io.err(`strata: skipped ${s.path} (${s.kind}): ${s.reason}\n`);
}

export function registerFlatten(program: Command, io: CliIO): void {
  const exp = program
    .command('export')
    .description(
      'write the merged filesystem of an image as one tar (what docker export gives for a fresh container)',
    )
    .argument('<image>', 'image reference, with an optional transport prefix')
    .requiredOption('-o, --output <file>', 'the tar to write');
  for (const o of imageOptions()) exp.addOption(o);
  exp.action(async (ref: string, opts: ImageCommandOptions & { output: string }) => {
    await checkTargetPath(opts.output, opts.output);
    await withImage(ref, opts, async (image, source) => {
      // Written beside the target and renamed into place: a failed export leaves no half-written tar.
      const staged = await StagedTarget.beside(opts.output, opts.output);
      try {
        const pipe = new PassThrough();
        // A failed export must fail the write too, or a cut-short tar would be renamed into place.
        const exported = exportImage(source, image, pipe).then(
          (r) => {
            pipe.end();
            return r;
          },
          (err) => {
            pipe.destroy(err);
            throw err;
          },
        );
        const [result] = await Promise.all([exported, staged.commitStream(pipe)]);
        reportSkipped(result.skipped, io);
      } finally {
        await staged.remove();
      }
    });
  });

  const unpack = program
    .command('unpack')
    .description(
      'write the merged filesystem of an image into a directory, without root and never outside it',
    )
    .argument('<image>', 'image reference, with an optional transport prefix')
    .argument('<dir>', 'the directory to fill (created if missing)');
  for (const o of imageOptions()) unpack.addOption(o);
  unpack.action(async (ref: string, dir: string, opts: ImageCommandOptions) => {
    await withImage(ref, opts, async (image, source) => {
      const result = await unpackImage(source, image, dir);
      reportSkipped(result.skipped, io);
      if (result.owners.length > 0) {
        io.err(
          `strata: ${result.owners.length} paths are owned by someone other than root in the image; ownership was recorded, not applied\n`,
        );
      }
      for (const m of result.modesNotApplied) {
        io.err(
          `strata: ${m.path}: mode ${m.mode.toString(8)} could not be applied (is ${m.applied.toString(8)})\n`,
        );
      }
    });
  });

  const extract = program
    .command('extract')
    .description('copy files or directories out of an image (as of its top layer) into a directory')
    .argument('<image>', 'image reference, with an optional transport prefix')
    .argument('<paths...>', 'paths inside the image, e.g. /etc/os-release /usr/share/doc')
    .requiredOption(
      '-o, --output <dir>',
      'where to write them (created if missing; paths keep their place below it)',
    );
  for (const o of imageOptions()) extract.addOption(o);
  extract.action(async (ref: string, paths: string[], opts: ImageCommandOptions & { output: string }) => {
    await withImage(ref, opts, async (image, source) => {
      const result = await unpackImage(source, image, opts.output, { paths });
      reportSkipped(result.skipped, io);
    });
  });
}
