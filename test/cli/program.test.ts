// The program loads only the module of the command a run names; help, --version and a mistyped
// command still see every command.
import { expect, test } from 'vitest';
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
