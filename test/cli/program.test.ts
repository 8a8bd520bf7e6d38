// The program loads only the module of the command a run names; help, --version and a mistyped
// command still see every command.
import { expect, test, vi } from 'vitest';
import { holdYoungGeneration } from '../../src/cli/heap.js';
import { buildProgram } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';

const ALL = [
  'history',
  'inspect',
  'layers',
  'manifest',
  'config',
  'pull',
  'push',
  'save',
  'load',
  'copy',
  'images',
  'tag',
  'rmi',
  'system',
  'analyze',
  'tree',
  'diff',
  'cat',
  'export',
  'unpack',
  'extract',
  'explore',
];
vi.mock('../../src/cli/heap.js', () => ({
  holdYoungGeneration: vi.fn(),
  setOldGenerationGrowth: vi.fn(),
  collectGarbage: vi.fn(),
}));

const io = { out: () => {}, err: () => {}, now: () => Date.now() };
const names = async (...args: string[]) =>
  (await buildProgram(io, ['node', 'strata', ...args])).commands.map((c) => c.name());

test('a named command brings its own module only; no name brings every command, in help order', async () => {
  expect(await names('analyze', '--top', '5', 'oci:x')).toEqual(['analyze']);
  expect(await names('save', '-o', 'f.tar', 'x')).toEqual(['pull', 'push', 'save', 'load', 'copy']);
  expect(await names('system', 'df')).toEqual(['images', 'tag', 'rmi', 'system']);
  expect(await names()).toEqual(ALL);
  expect(await names('--help')).toEqual(ALL);
  expect(await names('help', 'tree')).toEqual(ALL);
  expect(await names('--version')).toEqual([]);
  expect((await runCli(['--version'])).stdout).toBe('0.1.0\n');
});

test('help lists every command; a typo is answered with the command it resembles', async () => {
  const help = await runCli(['--help']);
  for (const name of ALL) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  const typo = await runCli(['analyse', 'x']);
  expect(typo.code).not.toBe(0);
  expect(typo.stderr).toContain('(Did you mean analyze?)');
  expect((await runCli(['analyze', '--help'])).stdout).toContain('Usage: strata analyze');
});

test('commands that hold a whole image hold the young generation before their modules load, in their own process only', async () => {
  const hold = vi.mocked(holdYoungGeneration);
  const own = { ...io, ownsProcess: true };
  for (const [args, held] of [
    [['analyze', 'oci:x'], true],
    [['explore', 'oci:x'], true],
    [['tree', 'oci:x'], false],
    [['--help'], false],
  ] as const) {
    hold.mockClear();
    await buildProgram(own, ['node', 'strata', ...args]);
    expect(hold.mock.calls, args.join(' ')).toEqual(held ? [[true]] : []);
  }
  hold.mockClear();
  await buildProgram(io, ['node', 'strata', 'analyze', 'oci:x']); // a host program's process: untouched
  expect(hold).not.toHaveBeenCalled();
});
