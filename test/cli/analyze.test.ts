// strata analyze: waste counted right, dive's own figures reproduced, and the CI gate.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { REPO_ROOT, expectCleanError, runCli } from '../helpers/cli.js';
import { peerImage } from '../setup/peers.js';

const dive = `docker-archive:${resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'dive-test-image.tar')}`;
const dir = mkdtempSync(join(tmpdir(), 'strata-analyze-'));

describe("dive's test image", () => {
  test("--dive reproduces dive's published figures exactly", async () => {
    const r = await runCli(['analyze', '--dive', '--format', 'json', dive]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.efficiency).toBe(0.9844212134184309);
    expect(d.sizeBytes).toBe(1220598);
    expect(d.userSizeBytes).toBe(66237);
    expect(d.wastedBytes).toBe(32025);
    expect(d.wastedUserPercent).toBe(0.4834911001404049);
  });

  test("strata's own count: every stored copy that is not visible, with who hid it", async () => {
    const r = await runCli(['analyze', '--format', 'json', dive]);
    const w = JSON.parse(r.stdout);
    expect(w.wastedBytes).toBe(32025);
    expect(w.visibleBytes + w.wastedBytes).toBe(w.imageBytes);
    const copies = w.files.map((f: { path: string; storedIn: number; removedIn: number; reason: string }) =>
      [f.path, f.storedIn, f.removedIn, f.reason].join(' '),
    );
    expect(copies.sort()).toEqual(
      [
        '/root/example/somefile1.txt 3 4 overwritten',
        '/root/example/somefile1.txt 4 9 dir-whiteout',
        '/root/example/somefile2.txt 5 9 dir-whiteout',
        '/root/example/somefile3.txt 6 7 whiteout',
        '/root/saved.txt 7 13 overwritten',
      ].sort(),
    );
  });
});

describe('the CI gate', () => {
  test('rules from flags: pass exits 0, fail exits 1 with the report', async () => {
    const pass = await runCli([
      'analyze',
      '--ci',
      '--lowestEfficiency',
      '0.9',
      '--highestWastedBytes',
      '1MB',
      dive,
    ]);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(/Result: PASS \(2 rules: 2 passed, 0 failed, 0 skipped\)\n$/);
    const fail = await runCli(['analyze', '--ci', '--highestUserWastedPercent', '0.1', dive]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/highestUserWastedPercent\s+0\.48\S*\s+≤ 0\.1\s+FAIL/);
    expect(fail.stdout).toMatch(/Result: FAIL/);
  });

  test('rules from a .dive-ci file; disabled rules are skipped; flags override the file', async () => {
    const file = join(dir, 'ci.yaml');
    writeFileSync(
      file,
      'rules:\n  lowestEfficiency: 0.99   # strict\n  highestWastedBytes: disabled\n  highestUserWastedPercent: "0.9"\n',
    );
    const r = await runCli(['analyze', '--ci', '--ci-config', file, dive]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/lowestEfficiency\s+0\.97\S*\s+≥ 0\.99\s+FAIL/);
    expect(r.stdout).not.toMatch(/highestWastedBytes/);
    const relaxed = await runCli(['analyze', '--ci', '--ci-config', file, '--lowestEfficiency', '0.5', dive]);
    expect(relaxed.code, relaxed.stdout).toBe(0);
    // With --dive, the gate judges dive's figures.
    const diveGate = await runCli(['analyze', '--dive', '--ci', '--ci-config', file, dive]);
    expect(diveGate.code).toBe(1);
    expect(diveGate.stdout).toMatch(/lowestEfficiency\s+0\.984\S*\s+≥ 0\.99\s+FAIL/);
  });

  test('an unknown rule is a usage error, never a silently disabled gate', async () => {
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, 'rules:\n  lowestEfficency: 0.9\n');
    expectCleanError(
      await runCli(['analyze', '--ci', '--ci-config', file, dive]),
      EXIT_CODES.usage,
      /unknown rule/,
    );
  });
});

describe('engine-built images', () => {
  test('files deleted one by one and through their directory are both waste', async () => {
    const img = peerImage('deletes');
    const r = await runCli(['analyze', '--format', 'json', `docker-archive:${img.archive}`]);
    expect(r.code, r.stderr).toBe(0);
    const w = JSON.parse(r.stdout);
    const byPath = new Map(w.files.map((f: { path: string; reason: string }) => [f.path, f.reason]));
    expect(byPath.get('/data/file')).toBe('whiteout');
    expect(byPath.get('/data/dir/sub/x')).toBe('dir-whiteout');
    expect(w.wastedBytes).toBe('doomed\n'.length + 'nested\n'.length);
  });

  test('--base must be a base of the image', async () => {
    const r = await runCli([
      'analyze',
      '--base',
      `docker-archive:${peerImage('large').archive}`,
      `docker-archive:${peerImage('deletes').archive}`,
    ]);
    expectCleanError(r, EXIT_CODES.usage, /is not a base of this image/);
  });
});
