/**
 * `strata explore` on a multi-platform image in the real registry, through a real pseudo-terminal:
 * the platform picker starts the explorer again on the chosen platform, and --compare shows two images
 * side by side.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { type PushedImage, pushImage, pushIndex } from '../helpers/registry-fixtures.js';
import { peers } from '../setup/peers.js';
import { KEYS, PtySession } from './pty.js';

const BIN = join(REPO_ROOT, 'bin', 'strata.js');

let session: PtySession | undefined;
afterEach(() => session?.kill());

let ref: string;
let arm: PushedImage;
beforeAll(async () => {
  const registry = peers().registry;
  const api = { url: `http://${registry}` };
  // Each image's /app.txt names its platform (same length, different bytes).
  const amd = await pushImage(api, 'explore/multi', undefined, {
    platform: { os: 'linux', architecture: 'amd64' },
  });
  arm = await pushImage(api, 'explore/multi', undefined, {
    platform: { os: 'linux', architecture: 'arm64' },
  });
  await pushIndex(api, 'explore/multi', '1', [amd, arm]);
  ref = `${registry}/explore/multi:1`;
});

function explore(...args: string[]): PtySession {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  const cwd = mkdtempSync(join(tmpdir(), 'strata-explore-'));
  session = new PtySession([process.execPath, BIN, 'explore', ...args], {
    cols: 120,
    rows: 40,
    cwd,
    env: { STRATA_ROOT: join(cwd, 'root') },
  });
  return session;
}

/** Select the top layer, find /app.txt in the tree and open the viewer on it. */
async function viewAppTxt(s: PtySession): Promise<void> {
  s.type(KEYS.down);
  await s.waitFor((t) => t.includes('Layer 1: its changes'), 10_000, 'layer 1');
  s.type(`${KEYS.tab}/app\\.txt${KEYS.enter}`);
  await s.waitFor((t) => /match 1 of 1 matches/.test(t), 10_000, 'app.txt');
  s.type('v');
}

describe('strata explore on a multi-platform image', () => {
  test('the platform picker lists the platforms and reopens the image on the one picked', {
    timeout: 90_000,
  }, async () => {
    const s = explore(ref);
    await s.waitFor((t) => t.includes('Efficiency'), 30_000, 'the image details');
    await viewAppTxt(s);
    await s.waitFor((t) => t.includes('app for linux/amd64'), 10_000, 'the host platform’s file');
    s.type(KEYS.esc);
    await s.waitFor((t) => t.includes('Layer 1: its changes'), 10_000, 'the panes again');

    s.type('p');
    await s.waitFor((t) => /\*\s+linux\/amd64/.test(t) && /linux\/arm64/.test(t), 10_000, 'the platforms');
    expect(s.screen.text()).toContain(arm.manifestDigest);
    s.type(KEYS.down + KEYS.enter);
    await s.waitFor((t) => t.includes('Efficiency') && t.includes('Layer 0'), 30_000, 'the arm64 image');
    await viewAppTxt(s);
    await s.waitFor((t) => t.includes('app for linux/arm64'), 10_000, 'the arm64 file');
    s.type(KEYS.esc);
    await s.waitFor((t) => t.includes('Layer 1: its changes'), 10_000, 'the panes again');
    s.type(KEYS.ctrl('c'));
    expect(await s.exited).toBe(0);
  });

  test('--compare: two platforms side by side, what differs summed up', { timeout: 90_000 }, async () => {
    const s = explore(
      '--platform',
      'linux/amd64',
      ref,
      '--compare',
      `${ref.replace(/:1$/, '')}@${arm.manifestDigest}`,
    );
    await s.waitFor((t) => t.includes('A → B') && /1 modified/.test(t), 30_000, 'the comparison');
    expect(s.screen.text()).toMatch(/0 added/);
    expect(s.screen.text()).toMatch(/0 removed/);
    expect(s.screen.text()).toMatch(/A size\s+B size/);
    s.type(KEYS.ctrl('c'));
    expect(await s.exited).toBe(0);
  });
});
