// strata export and strata unpack through the CLI (the library is compared with docker export and
// umoci unpack, and fed hostile layers, in test/flatten/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { expectCleanError, runCli } from '../helpers/cli.js';

const sample = 'docker-archive:fixtures/sample-image.tar';
const dir = mkdtempSync(join(tmpdir(), 'strata-flatten-cli-'));

test('export writes the merged filesystem: the last app.conf, no whiteouts, links as links', async () => {
  const out = join(dir, 'rootfs.tar');
  const r = await runCli(['export', '-o', out, sample]);
  expect(r.code, r.stderr).toBe(0);
  const names = execFileSync('tar', ['-tf', out]).toString().trim().split('\n').sort();
  expect(names).toEqual(
    [
      'README.txt',
      'etc/',
      'etc/app/',
      'etc/app/app.conf',
      'srv/',
      'srv/www/',
      'srv/www/bundle.js',
      'srv/www/index.html',
      'srv/www/page1.html',
      'srv/www/page2.html',
      'srv/www/page3.html',
    ].sort(),
  );
  expect(execFileSync('tar', ['-xOf', out, 'etc/app/app.conf']).toString()).toBe('port=9090\nlog=debug\n');
});

test('unpack fills a directory with the same tree', async () => {
  const target = join(dir, 'rootfs');
  const r = await runCli(['unpack', sample, target]);
  expect(r.code, r.stderr).toBe(0);
  expect(readFileSync(join(target, 'etc/app/app.conf'), 'utf8')).toBe('port=9090\nlog=debug\n');
  expect(readlinkSync(join(target, 'srv/www/index.html'))).toBe('page1.html');
});

test('export into a directory that does not exist: a clean error and no file', async () => {
  const out = join(dir, 'no-such-dir', 'rootfs.tar');
  expectCleanError(await runCli(['export', '-o', out, sample]), EXIT_CODES['not-found'], /no-such-dir/);
  expect(existsSync(out)).toBe(false);
});

test('extract copies only the asked-for paths, below the output directory', async () => {
  const target = join(dir, 'extracted');
  const r = await runCli(['extract', sample, '/etc/app', 'srv/www/index.html', '-o', target]);
  expect(r.code, r.stderr).toBe(0);
  expect(readFileSync(join(target, 'etc/app/app.conf'), 'utf8')).toBe('port=9090\nlog=debug\n');
  expect(readlinkSync(join(target, 'srv/www/index.html'))).toBe('page1.html');
  expect(existsSync(join(target, 'README.txt'))).toBe(false);
  expect(existsSync(join(target, 'srv/www/bundle.js'))).toBe(false);
});

test('extract of a path the image does not have is not-found', async () => {
  expectCleanError(
    await runCli(['extract', sample, '/no/such/thing', '-o', join(dir, 'none')]),
    EXIT_CODES['not-found'],
    /no such path in the image: \/no\/such\/thing/,
  );
});
