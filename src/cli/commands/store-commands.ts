import type { Command } from 'commander';
import { StrataError } from '../../errors.js';
import { shortId } from '../../oci/digest.js';
import { unixSeconds } from '../../image/time.js';
import type { ImageSummary } from '../../store/store.js';
import { openStore, registerLayers } from '../../transports/store.js';
import { renderTableOrLines } from '../format/template.js';
import { createdSince, humanSizeWithPrecision } from '../../format/units.js';
import type { CliIO } from '../io.js';

const IMAGE_HEADERS = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  SharedSize: 'SHARED SIZE',
};

/** One `docker images` row per tag (an untagged image is one <none> row), newest first. */
export function imageRows(images: ImageSummary[], o: { digests: boolean; trunc: boolean; nowMs: number }) {
  const sorted = [...images].sort((a, b) => unixSeconds(b.created) - unixSeconds(a.created));
  return sorted.flatMap((img) => {
    const tags = img.repoTags.length > 0 ? img.repoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const colon = t.lastIndexOf(':');
      const repository = t.slice(0, colon);
      const digest = img.repoDigests.find((d) => d.startsWith(`${repository}@`));
      return {
        Containers: 'N/A',
        CreatedAt: img.created ?? '',
        CreatedSince: createdSince(unixSeconds(img.created), o.nowMs),
        Digest: digest ? digest.slice(digest.indexOf('@') + 1) : '<none>',
        ID: o.trunc ? shortId(img.id) : img.id,
        Repository: repository,
        SharedSize: humanSizeWithPrecision(img.sharedSize, 3),
        Size: humanSizeWithPrecision(img.size, 3),
        Tag: t.slice(colon + 1),
      };
    });
  });
}

export function registerStoreCommands(program: Command, io: CliIO): void {
  program
    .command('images')
    .description("list the images in strata's store, as docker images does")
    .option('--digests', 'show digests')
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only show image IDs')
    .option('--format <template>', 'format output using a Go template, "table", or "json"')
    .action(async (opts: { digests?: boolean; trunc?: boolean; quiet?: boolean; format?: string }) => {
      const store = await openStore();
      const registered = await registerLayers(store, undefined, {
        onStart: (n) =>
          io.err(`reading ${n} layer${n === 1 ? '' : 's'} not read since pulled, for their sizes\n`),
      });
      for (const { image, error } of registered.failures)
        io.err(`warning: image ${shortId(image.id)}: ${error.message}\n`);
      const rows = imageRows(await store.listImages(), {
        digests: opts.digests === true,
        trunc: opts.trunc !== false,
        nowMs: io.now(),
      });
      if (opts.quiet && !opts.format) {
        io.out([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join(''));
        return;
      }
      const format =
        opts.format === 'json'
          ? '{{json .}}'
          : opts.format && opts.format !== 'table'
            ? opts.format
            : opts.digests
              ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
              : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
      io.out(renderTableOrLines({ format, rows, headers: IMAGE_HEADERS }));
    });

  program
    .command('tag')
    .description('give an image in the store another name')
    .argument('<source>', 'image name or ID')
    .argument('<target>', 'new name[:tag]')
    .action(async (source: string, target: string) => {
      await (await openStore()).tag(source, target);
    });

  program
    .command('rmi')
    .description('untag images, and remove those no tag refers to any more (shared layers stay)')
    .argument('<images...>', 'image names or IDs')
    .option('-f, --force', 'remove an image ID even if several tags refer to it')
    .action(async (names: string[], opts: { force?: boolean }) => {
      const store = await openStore();
      for (const name of names) {
        const r = await store.removeImage(name, { force: opts.force });
        for (const u of r.untagged) io.out(`Untagged: ${u}\n`);
        for (const d of r.deleted) io.out(`Deleted: ${d}\n`);
      }
    });

  const system = program.command('system').description('manage the store');
  system
    .command('df')
    .description('space used by the store, and space saved by sharing layers between images')
    .option('--format <format>', '"json" for machines')
    .action(async (opts: { format?: string }) => {
      const df = await (await openStore()).df();
      if (opts.format === 'json') {
        io.out(`${JSON.stringify(df)}\n`);
        return;
      }
      const size = (n: number) => humanSizeWithPrecision(n, 3);
      const rows = [
        {
          Type: 'Images',
          Total: String(df.images),
          Size: size(df.blobBytes),
          Shared: size(df.sharedBytes),
          Saved: size(df.savedBytes),
          Reclaimable: size(df.reclaimableBytes),
        },
        {
          Type: 'Layers',
          Total: String(df.layers),
          Size: size(df.uniqueBytes + df.sharedBytes),
          Shared: size(df.sharedBytes),
          Saved: size(df.savedBytes),
          Reclaimable: '',
        },
      ];
      io.out(
        renderTableOrLines({
          format: 'table {{.Type}}\t{{.Total}}\t{{.Size}}\t{{.Shared}}\t{{.Saved}}\t{{.Reclaimable}}',
          rows,
          headers: {
            Type: 'TYPE',
            Total: 'TOTAL',
            Size: 'SIZE',
            Shared: 'SHARED',
            Saved: 'SAVED BY SHARING',
            Reclaimable: 'RECLAIMABLE',
          },
        }),
      );
    });
  system
    .command('verify')
    .description('check every blob against its digest and every image against its blobs and layer database')
    .action(async () => {
      const store = await openStore();
      const problems = await store.verify();
      // Layers not read since they were pulled are read now: each tar checked against its diffID.
      for (const { image, error } of (await registerLayers(store)).failures)
        problems.push(`image ${shortId(image.id)}: ${error.message}`);
      for (const p of problems) io.out(`${p}\n`);
      if (problems.length > 0) {
        throw new StrataError(
          'invalid',
          `the store has ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
        );
      }
      io.out('ok\n');
    });
  system
    .command('prune')
    .description('delete blobs and layers no image uses')
    .action(async () => {
      const r = await (await openStore()).gc();
      for (const b of r.blobs) io.out(`Deleted blob: ${b}\n`);
      for (const l of r.layers) io.out(`Deleted layer: ${l}\n`);
      io.out(`Total reclaimed space: ${humanSizeWithPrecision(r.bytes, 3)}\n`);
    });
}
