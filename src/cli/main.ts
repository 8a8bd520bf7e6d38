import { Command, CommanderError } from 'commander';
import { EXIT_CODES, StrataError, isStrataError } from '../errors.js';
import { CiFailed, registerAnalyze } from './commands/analyze.js';
import { registerCat } from './commands/cat.js';
import { registerDiff } from './commands/diff.js';
import { registerExplore } from './commands/explore.js';
import { registerFlatten } from './commands/flatten.js';
import { registerHistory } from './commands/history.js';
import { registerInspect } from './commands/inspect.js';
import { registerLayers } from './commands/layers.js';
import { registerRaw } from './commands/raw.js';
import { registerStoreCommands } from './commands/store-commands.js';
import { registerTree } from './commands/tree.js';
import { registerCopy, registerLoad, registerPull, registerPush, registerSave } from './commands/transfer.js';
import { type CliIO, processIO } from './io.js';

export const VERSION = '0.1.0';

export function buildProgram(io: CliIO): Command {
  const program = new Command('strata')
    .description('See and move container images and their layers, without a daemon.')
    .version(VERSION)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerHistory(program, io);
  registerInspect(program, io);
  registerLayers(program, io);
  registerRaw(program, io);
  registerPull(program, io);
  registerPush(program, io);
  registerSave(program, io);
  registerLoad(program, io);
  registerCopy(program, io);
  registerStoreCommands(program, io);
  registerAnalyze(program, io);
  registerTree(program, io);
  registerDiff(program, io);
  registerCat(program, io);
  registerFlatten(program, io);
  registerExplore(program, io);
  for (const cmd of program.commands)
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
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
    await buildProgram(io).parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

export { StrataError };
