import type { Command } from 'commander';
import { StrataError, isStrataError } from '../../errors.js';
import { openImage } from '../../image/image.js';
import {
  familiarName,
  formatReference,
  parseReference,
  type ImageReference,
} from '../../reference/reference.js';
import { type ImageLocation, parseLocation } from '../../reference/transport.js';
import type { CliIO } from '../io.js';
import { imageOptions } from '../options.js';
import {
  type TransferOptions,
  maxConcurrent,
  progressFor,
  transfer,
  transferOptions,
  withDestination,
} from './transfer-common.js';

function addOptions(cmd: Command): Command {
  for (const o of [...imageOptions(), ...transferOptions()]) cmd.addOption(o);
  return cmd;
}

/** The manifest digest the store holds for a reference, if any (to tell "up to date" from "newer"). */
async function storedManifestDigest(ref: string): Promise<string | undefined> {
  try {
    const { image, source } = await openImage({ transport: 'strata', name: ref });
    await source.close();
    return image.index?.digest ?? image.manifest.digest;
  } catch (err) {
    if (isStrataError(err) && err.kind === 'not-found') return undefined;
    throw err;
  }
}

function registryRef(loc: ImageLocation, command: string): { ref: ImageReference; text: string } {
  if (loc.transport !== 'docker') {
    throw new StrataError(
      'usage',
      `${command} works with registry references; use strata copy for other transports`,
    );
  }
  return loc;
}

export function registerPull(program: Command, io: CliIO): void {
  const cmd = program
    .command('pull')
    .description("download an image from a registry into strata's store, as docker pull does")
    .argument('<image>', 'registry reference (busybox, ghcr.io/org/app:1, host:5000/app@sha256:…)');
  addOptions(cmd).action(async (text: string, opts: TransferOptions) => {
    const { ref } = registryRef(parseLocation(text), 'pull');
    const full = formatReference(ref);
    const progress = progressFor(opts, io);
    const before = await storedManifestDigest(full);
    progress.message(`${ref.digest ?? ref.tag}: Pulling from ${ref.path}`);
    const result = await withDestination({ transport: 'strata', name: full }, opts, (dest) =>
      transfer({ transport: 'docker', ref, text }, dest, opts, {
        tags: ref.tag !== undefined ? [full] : [],
        repoDigestRepository: familiarName(ref),
        maxConcurrent: maxConcurrent(opts),
        // Docker moves nothing when it already holds this exact image under this name.
        onResolved: (image) => before !== (image.index?.digest ?? image.manifest.digest),
        onEvent: (e) => progress.layer(e),
      }),
    );
    const top = result.image.index?.digest ?? result.image.manifest.digest;
    progress.message(`Digest: ${top}`);
    const familiar = formatReference(ref, true);
    progress.message(
      before === top
        ? `Status: Image is up to date for ${familiar}`
        : `Status: Downloaded newer image for ${familiar}`,
    );
    io.out(`${full}\n`);
  });
}

export function registerPush(program: Command, io: CliIO): void {
  const cmd = program
    .command('push')
    .description('upload an image to a registry, as docker push does')
    .argument('<source>', 'image in the store (or any transport)')
    .argument('[destination]', 'registry reference (default: the source name)');
  addOptions(cmd).action(async (srcText: string, destText: string | undefined, opts: TransferOptions) => {
    const src = parseLocation(srcText, 'strata');
    const destLoc = parseLocation(destText ?? (src.transport === 'strata' ? src.name : srcText));
    const { ref } = registryRef(destLoc, 'push');
    const progress = progressFor(opts, io);
    progress.message(`The push refers to repository [${ref.domain}/${ref.path}]`);
    const result = await withDestination(destLoc, opts, (dest) =>
      transfer(src, dest, opts, {
        verbs: 'push',
        tags: ref.tag !== undefined ? [formatReference(ref)] : [],
        maxConcurrent: maxConcurrent(opts),
        mountFrom: mountCandidate(src, ref),
        onEvent: (e) => progress.layer(e),
      }),
    );
    io.out(
      `${ref.tag ?? 'latest'}: digest: ${result.manifestDigest} size: ${result.manifest.bytes.length}\n`,
    );
  });
}

/** A repository on the destination registry the source came from: its blobs can be mounted, not sent. */
function mountCandidate(src: ImageLocation, dest: ImageReference): string | undefined {
  if (src.transport === 'docker' && src.ref.domain === dest.domain && src.ref.path !== dest.path)
    return src.ref.path;
  if (src.transport === 'strata') {
    try {
      const ref = parseReference(src.name);
      if (ref.domain === dest.domain && ref.path !== dest.path) return ref.path;
    } catch {
      // an image ID: no repository to mount from
    }
  }
  return undefined;
}

export function registerCopy(program: Command, io: CliIO): void {
  const cmd = program
    .command('copy')
    .description('copy an image between any two transports (pull, push, save and load are this)')
    .argument('<source>', 'transport:location of the image to read')
    .argument('<destination>', 'transport:location to write')
    .option('--compress <format>', 're-encode layers: gzip, zstd or none (diffIDs do not change)');
  addOptions(cmd).action(
    async (srcText: string, destText: string, opts: TransferOptions & { compress?: string }) => {
      if (opts.compress && !['gzip', 'zstd', 'none'].includes(opts.compress)) {
        throw new StrataError('usage', `invalid --compress "${opts.compress}": want gzip, zstd or none`);
      }
      const src = parseLocation(srcText);
      const dest = parseLocation(destText);
      const progress = progressFor(opts, io);
      const result = await withDestination(dest, opts, (d) =>
        transfer(src, d, opts, {
          compress: opts.compress as 'gzip' | 'zstd' | 'none' | undefined,
          tags: destinationTags(dest),
          maxConcurrent: maxConcurrent(opts),
          onEvent: (e) => progress.layer(e),
        }),
      );
      progress.message(`Copied ${result.image.id} (manifest ${result.manifestDigest})`);
      io.out(`${result.manifestDigest}\n`);
    },
  );
}

/** The tag a destination location names, fully qualified when it is a reference. */
function destinationTags(loc: ImageLocation): string[] {
  switch (loc.transport) {
    case 'docker':
      return loc.ref.tag !== undefined ? [formatReference(loc.ref)] : [];
    case 'strata':
      return /^(sha256:)?[a-f0-9]{4,64}$/.test(loc.name) ? [] : [formatReference(parseReference(loc.name))];
    case 'docker-archive':
      return loc.tag ? [formatReference(parseReference(loc.tag))] : [];
    default:
      return [];
  }
}

export function registerSave(program: Command, io: CliIO): void {
  const cmd = program
    .command('save')
    .description('write images to a tar that docker load accepts (or an OCI archive)')
    .argument('<images...>', 'images in the store (or any transport)')
    .requiredOption('-o, --output <file>', 'the tar to write')
    .option('--format <format>', 'docker (default) or oci', 'docker');
  addOptions(cmd).action(
    async (names: string[], opts: TransferOptions & { output: string; format: string }) => {
      if (!['docker', 'oci'].includes(opts.format))
        throw new StrataError('usage', `invalid --format "${opts.format}": want docker or oci`);
      const progress = progressFor({ ...opts, quiet: opts.quiet ?? true }, io);
      const dest: ImageLocation =
        opts.format === 'oci'
          ? { transport: 'oci-archive', path: opts.output }
          : { transport: 'docker-archive', path: opts.output };
      await withDestination(dest, opts, async (d) => {
        for (const name of names) {
          const src = parseLocation(name, 'strata');
          await transfer(src, d, opts, {
            tags: destinationTags(src),
            maxConcurrent: maxConcurrent(opts),
            onEvent: (e) => progress.layer(e),
          });
        }
      });
    },
  );
}

/** How many images an archive holds and how to address each. */
async function archiveImages(path: string): Promise<ImageLocation[]> {
  // Loaded here: the tar reader is load's alone, and a pull need not pay for it at start-up.
  const [{ openArchive }, { parseDockerSaveManifest, parseLayoutIndex }, { readFileRange }] =
    await Promise.all([
      import('../../archive/open-archive.js'),
      import('../../archive/docker-save-manifest.js'),
      import('../../archive/file-range.js'),
    ]);
  const archive = await openArchive(path, path, 'image archive');
  try {
    const manifestEntry = archive.index.resolve('manifest.json');
    if (manifestEntry) {
      const items = parseDockerSaveManifest(
        await readFileRange(archive.index.range(manifestEntry), `${path}: manifest.json`),
      );
      return items.map((_, index) => ({ transport: 'docker-archive', path, index }));
    }
    const indexEntry = archive.index.resolve('index.json');
    if (!indexEntry)
      throw new StrataError('invalid', `${path} is not an image archive: no manifest.json or index.json`);
    const index = parseLayoutIndex(
      await readFileRange(archive.index.range(indexEntry), `${path}: index.json`),
    );
    return index.manifests.map((m) => ({ transport: 'oci-archive', path, digest: m.digest }));
  } finally {
    await archive.close();
  }
}

export function registerLoad(program: Command, io: CliIO): void {
  const cmd = program
    .command('load')
    .description("read images from a tar (any docker save shape, or an OCI archive) into strata's store")
    .requiredOption('-i, --input <file>', 'the tar to read');
  addOptions(cmd).action(async (opts: TransferOptions & { input: string }) => {
    const progress = progressFor({ ...opts, quiet: opts.quiet ?? true }, io);
    for (const loc of await archiveImages(opts.input)) {
      const { image, source } = await openImage(loc, {});
      await source.close();
      const tags = image.facts.repoTags.map((t) => formatReference(parseReference(t)));
      await withDestination({ transport: 'strata', name: image.id }, opts, (d) =>
        transfer(loc, d, opts, {
          tags,
          maxConcurrent: maxConcurrent(opts),
          onEvent: (e) => progress.layer(e),
        }),
      );
      if (tags.length === 0) io.out(`Loaded image ID: ${image.id}\n`);
      for (const t of image.facts.repoTags) io.out(`Loaded image: ${t}\n`);
    }
  });
}
