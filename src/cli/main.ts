import { Command, CommanderError } from 'commander';
import { EXIT_CODES, StrataError, isStrataError } from '../errors.js';
import { CiFailed } from './ci-failed.js';
import { type CliIO, processIO } from './io.js';
import { holdYoungGeneration } from './heap.js';

export const VERSION = '0.1.0';

type Register = (program: Command, io: CliIO) => void;

/**
 * Every command, in the order help lists them, with the module that defines it. A run loads only the
 * module of the command it names: loading them all took ~190 ms of a warm `strata analyze`'s ~430.
 */
const COMMANDS: ReadonlyArray<{
  names: readonly string[];
  load: () => Promise<Register[]>;
  /** Holds a whole image's indexes in memory: the young generation is held from the start (cli/heap.ts). */
  holdsImage?: boolean;
}> = [
  { names: ['history'], load: async () => [(await import('./commands/history.js')).registerHistory] },
  { names: ['inspect'], load: async () => [(await import('./commands/inspect.js')).registerInspect] },
  { names: ['layers'], load: async () => [(await import('./commands/layers.js')).registerLayers] },
  { names: ['manifest', 'config'], load: async () => [(await import('./commands/raw.js')).registerRaw] },
  {
    names: ['pull', 'push', 'save', 'load', 'copy'],
    load: async () => {
      const m = await import('./commands/transfer.js');
      return [m.registerPull, m.registerPush, m.registerSave, m.registerLoad, m.registerCopy];
    },
  },
  {
    names: ['images', 'tag', 'rmi', 'system'],
    load: async () => [(await import('./commands/store-commands.js')).registerStoreCommands],
  },
  {
    names: ['analyze'],
    load: async () => [(await import('./commands/analyze.js')).registerAnalyze],
    holdsImage: true,
  },
  { names: ['tree'], load: async () => [(await import('./commands/tree.js')).registerTree] },
  { names: ['diff'], load: async () => [(await import('./commands/diff.js')).registerDiff] },
  { names: ['cat'], load: async () => [(await import('./commands/cat.js')).registerCat] },
  {
    names: ['export', 'unpack', 'extract'],
    load: async () => [(await import('./commands/flatten.js')).registerFlatten],
  },
  {
    names: ['explore'],
    load: async () => [(await import('./commands/explore.js')).registerExplore],
    holdsImage: true,
  },
];

/**
 * The program with the command `argv` names, or with every command when it names none of them (help,
 * a typo that wants suggestions); with none for a bare --version.
 */
export async function buildProgram(io: CliIO, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('strata')
    .description('See and move container images and their layers, without a daemon.')
    .version(VERSION)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  // The program's own options are flags, so the first word that is not one names the command.
  const args = argv.slice(2);
  const named = args.find((a) => !a.startsWith('-'));
  const only = COMMANDS.filter((c) => named !== undefined && c.names.includes(named));
  const versionOnly = args.length === 1 && (args[0] === '--version' || args[0] === '-V');
  if (versionOnly) return program;
  // Before any module loads: loading alone grows the young generation to 16 MiB, which it then keeps.
  if (io.ownsProcess && only.some((c) => c.holdsImage)) holdYoungGeneration(true);
  // A pull's downloads run on worker threads: start them now, on the core this thread leaves idle while
  // it loads the command's modules, rather than after (copy would start them when it begins).
  if (io.ownsProcess && named === 'pull') void prestartPullWorkers();
  for (const command of only.length > 0 ? only : COMMANDS)
    for (const register of await command.load()) register(program, io);
  for (const cmd of program.commands)
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
}

async function prestartPullWorkers(): Promise<void> {
  const [{ prestartDownloadWorkers }, { DEFAULT_CONCURRENT_BLOBS }] = await Promise.all([
    import('../threads/pool.js'),
    import('../copy/limiter.js'),
  ]);
  prestartDownloadWorkers(DEFAULT_CONCURRENT_BLOBS);
}

/** One line per error, the hint after it; never a stack trace for a user's mistake. */
export function reportError(err: unknown, io: CliIO): number {
  if (err instanceof CiFailed) return 1;
  if (err instanceof CommanderError) {
    // commander has already printed its message.
    return err.exitCode === 0 ? 0 : EXIT_CODES.usage;
  }
  if (isStrataError(err)) {
    io.err(`strata: ${err.message}\n`);
    if (err.hint) io.err(`hint: ${err.hint}\n`);
    if (process.env.STRATA_DEBUG && err.cause)
      io.err(`cause: ${String((err.cause as Error)?.stack ?? err.cause)}\n`);
    return err.exitCode;
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EPIPE') return 0;
  io.err(`strata: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 70;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  try {
    await (await buildProgram(io, argv)).parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

export { StrataError };
