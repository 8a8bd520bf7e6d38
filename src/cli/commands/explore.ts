import { resolve } from 'node:path';
import type { Command } from 'commander';
import { StrataError } from '../../errors.js';
import { collectGarbage, holdYoungGeneration, setOldGenerationGrowth } from '../heap.js';
import type { CliIO } from '../io.js';
import { type ImageCommandOptions, imageOptions, toOpenOptions } from '../options.js';

interface ExploreOptions extends ImageCommandOptions {
  compare?: string;
  keys?: string;
  extractDir?: string;
}

/**
 * ink decides once, when loaded, whether it runs in CI (and then draws nothing until exit). explore
 * is only ever run at a terminal, so it loads ink with the CI variables hidden. React runs its
 * production build unless NODE_ENV asks otherwise (the development one is slower and prints warnings
 * into the screen).
 */
async function loadExplorer(): Promise<typeof import('../../tui/run.js')> {
  process.env.NODE_ENV ??= 'production';
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  for (const key of Object.keys(saved)) if (process.env[key] !== undefined) process.env[key] = '0';
  try {
    return await import('../../tui/run.js');
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

export function registerExplore(program: Command, io: CliIO): void {
  const cmd = program
    .command('explore')
    .description('explore an image in a full-screen terminal UI: layers, their files, waste, contents')
    .argument('<image>', 'image reference, with an optional transport prefix')
    .option('--compare <image>', 'show a second image against the first, side by side')
    .option('--keys <file>', 'key bindings (JSON; default: $XDG_CONFIG_HOME/strata/explore.json)')
    .option('--extract-dir <dir>', 'where e (extract) writes files', '.');
  for (const o of imageOptions()) cmd.addOption(o);
  cmd.action(async (ref: string, opts: ExploreOptions) => {
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new StrataError('usage', 'explore needs a terminal', {
        hint: 'for scripts, use strata tree, strata analyze or strata cat',
      });
    const { loadBindings } = await import('../../tui/keys.js');
    const bindings = loadBindings(opts.keys);
    const { runExplorer } = await loadExplorer();
    const tuneHeap = io.ownsProcess === true;
    if (tuneHeap) {
      setOldGenerationGrowth(20); // the young generation is held from the start (cli/main.ts)
    }
    await runExplorer({
      onLoaded: () => {
        if (!tuneHeap) return;
        setOldGenerationGrowth(35);
        holdYoungGeneration(false);
      },
      collect: tuneHeap ? collectGarbage : undefined,
      ref,
      compare: opts.compare,
      open: toOpenOptions(opts),
      bindings,
      extractDir: resolve(opts.extractDir ?? '.'),
    });
  });
}
