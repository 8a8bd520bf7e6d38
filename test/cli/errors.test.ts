// Bad input gets a one-line error naming the problem, a distinct exit code per kind, no stack trace.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { freePort } from '../helpers/ports.js';
import { expectCleanError, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-errors-'));

async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('files that are not images', () => {
  test('a missing archive is not-found', async () => {
    const r = await runCli(['history', `docker-archive:${join(dir, 'nope.tar')}`]);
    expectCleanError(r, EXIT_CODES['not-found'], /nope\.tar/);
  });

  test('a text file is not an archive', async () => {
    const f = join(dir, 'notes.tar');
    writeFileSync(f, 'just some text, not a tar at all\n'.repeat(40));
    const r = await runCli(['inspect', `docker-archive:${f}`]);
    expectCleanError(r, EXIT_CODES.invalid, /not a (tar|docker) archive/);
  });

  test('an empty file is not an archive', async () => {
    const f = join(dir, 'empty.tar');
    writeFileSync(f, '');
    const r = await runCli(['history', `docker-archive:${f}`]);
    expectCleanError(r, EXIT_CODES.invalid, /empty\.tar/);
  });

  test('a tar without manifest.json is not a docker archive', async () => {
    const f = join(dir, 'plain.tar');
    writeFileSync(f, await tarOf({ 'hello.txt': 'hi' }));
    const r = await runCli(['history', `docker-archive:${f}`]);
    expectCleanError(r, EXIT_CODES.invalid, /manifest\.json/);
  });

  test('a malformed manifest.json is invalid', async () => {
    const f = join(dir, 'badjson.tar');
    writeFileSync(f, await tarOf({ 'manifest.json': '[{"Config": "x.json", "Layers": [' }));
    const r = await runCli(['history', `docker-archive:${f}`]);
    expectCleanError(r, EXIT_CODES.invalid, /manifest\.json/);
  });

  test('a truncated archive is invalid', async () => {
    const whole = await tarOf({ 'manifest.json': '[]', 'big.bin': Buffer.alloc(10_000, 7) });
    const f = join(dir, 'truncated.tar');
    writeFileSync(f, whole.subarray(0, 3000));
    const r = await runCli(['history', `docker-archive:${f}`]);
    expectCleanError(r, EXIT_CODES.invalid, /truncated/);
  });

  test('an OCI layout directory that is not one', async () => {
    const r = await runCli(['config', `oci:${dir}`]);
    expectCleanError(r, EXIT_CODES.invalid, /oci-layout|index\.json|not an OCI/i);
  });
});

describe('usage', () => {
  test('a malformed reference is a usage error', async () => {
    const r = await runCli(['history', 'Not A Reference!']);
    expectCleanError(r, EXIT_CODES.usage, /invalid reference/);
  });

  test('a bad --platform is a usage error', async () => {
    const r = await runCli(['config', '--platform', 'linux', `docker-archive:${join(dir, 'x.tar')}`]);
    expectCleanError(r, EXIT_CODES.usage, /platform/);
  });

  test('a bad template is a usage error', async () => {
    const r = await runCli(['history', '--format', '{{.Nope', `docker-archive:${join(dir, 'x.tar')}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('registries', () => {
  test('an unreachable registry', async () => {
    const port = await freePort();
    const r = await runCli(['manifest', `127.0.0.1:${port}/app:1`]);
    expectCleanError(r, EXIT_CODES.unreachable, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});
