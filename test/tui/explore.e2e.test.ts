/**
 * `strata explore` as a person uses it: the built program in a real pseudo-terminal (120x40), on the
 * sample image, driven by keys and the mouse, read off a replayed screen.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { FRAME_END, KEYS, PtySession } from './pty.js';

const BIN = join(REPO_ROOT, 'bin', 'strata.js');
const SAMPLE = `docker-archive:${join(REPO_ROOT, 'fixtures', 'sample-image.tar')}`;

let session: PtySession | undefined;
afterEach(() => session?.kill());

/** Raw output since `from` (ms), for what the screen model drops: colours. */
const rawSince = (s: PtySession, from: number) =>
  s.chunks
    .filter((c) => c.at >= from)
    .map((c) => c.data)
    .join('');

describe('strata explore in a terminal', () => {
  test('navigates, filters, searches, views and extracts a file, and quits', {
    timeout: 90_000,
  }, async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
    const cwd = mkdtempSync(join(tmpdir(), 'strata-explore-'));
    const s = new PtySession([process.execPath, BIN, 'explore', SAMPLE], {
      cols: 120,
      rows: 40,
      cwd,
      env: { STRATA_ROOT: join(cwd, 'root') },
    });
    session = s;
    const screen = () => s.screen.text();

    await s.waitFor((t) => t.includes('Efficiency 99.9950%'), 30_000, 'the image details');
    expect(screen()).toMatch(/Layers \(4\)/);
    expect(screen()).toMatch(/Layer 0: its changes/);
    expect(screen()).toMatch(/└── README\.txt/);

    // Layer 3 changed /etc/app/app.conf: drawn in yellow (modified).
    const before = s.now();
    s.type(KEYS.down.repeat(3));
    await s.waitFor((t) => t.includes('Layer 3: its changes'), 10_000, 'layer 3');
    expect(rawSince(s, before)).toMatch(/\x1b\[33m[^\x1b]*app\.conf/);

    // The tree, with unmodified paths hidden: only what layer 3 changed.
    s.type(KEYS.tab + KEYS.ctrl('u'));
    await s.waitFor((t) => t.includes('hiding unmodified'), 10_000, 'hidden unmodified');
    expect(screen()).toMatch(/app\.conf/);
    expect(screen()).not.toMatch(/bundle\.js/);
    s.type(KEYS.ctrl('u'));
    await s.waitFor((t) => t.includes('bundle.js'), 10_000, 'everything again');

    // Filter as you type.
    s.type(`${KEYS.ctrl('f')}page`);
    await s.waitFor((t) => t.includes('filter /page/') && !t.includes('bundle.js'), 10_000, 'the filter');
    expect(screen()).toMatch(/page1\.html[\s\S]*page2\.html[\s\S]*page3\.html/);
    s.type(KEYS.enter + KEYS.ctrl('f') + KEYS.backspace.repeat(4) + KEYS.enter);
    await s.waitFor((t) => t.includes('bundle.js') && !t.includes('filter /'), 10_000, 'no filter');

    // Search, then n goes round the matches.
    s.type(`/html${KEYS.enter}`);
    await s.waitFor((t) => /match 1 of 4 matches/.test(t), 10_000, 'the first match');
    s.type('n');
    await s.waitFor((t) => /match 2 of 4 matches/.test(t), 10_000, 'the second match');
    s.type(`/app\\.conf${KEYS.enter}`);
    await s.waitFor((t) => /match 1 of 1 matches/.test(t), 10_000, 'app.conf');

    // View it as of layer 3, extract it from the viewer, close the viewer.
    s.type('v');
    await s.waitFor(
      (t) => t.includes('/etc/app/app.conf @ layer 3') && t.includes('port=9090'),
      10_000,
      'the viewer',
    );
    s.type('e');
    await s.waitFor((t) => t.includes('extracted /etc/app/app.conf (layer 3)'), 10_000, 'the extract');
    expect(readFileSync(join(cwd, 'app.conf'), 'utf8')).toMatch(/^port=9090\n/);
    s.type(KEYS.esc);
    await s.waitFor((t) => t.includes('Layer 3: its changes'), 10_000, 'the panes again');

    // A click on layer 1 in the layers pane (its rows start on the third line).
    s.type(KEYS.click(10, 3));
    await s.waitFor((t) => t.includes('Layer 1: its changes'), 10_000, 'layer 1 by mouse');

    // The largest files of the whole image.
    s.type('L');
    await s.waitFor((t) => t.includes('Largest files of the image (6)'), 10_000, 'the largest files');
    expect(screen()).toMatch(/200kB\s+1\s+\/srv\/www\/bundle\.js/);
    s.type(KEYS.esc);
    await s.waitFor((t) => t.includes('Image details'), 10_000, 'the panes');

    s.type('q');
    expect(await s.exited).toBe(0);
    // The normal screen is back after the last frame.
    const raw = rawSince(s, 0);
    expect(raw.lastIndexOf('\x1b[?1049l')).toBeGreaterThan(raw.lastIndexOf(FRAME_END));
  });

  test('a missing image fails like any other command, with the terminal restored', {
    timeout: 30_000,
  }, async () => {
    const s = new PtySession([process.execPath, BIN, 'explore', 'docker-archive:/nonexistent.tar'], {
      env: { STRATA_ROOT: mkdtempSync(join(tmpdir(), 'strata-root-')) },
    });
    session = s;
    expect(await s.exited).toBe(3);
    expect(s.screen.text()).toMatch(/strata: .*nonexistent\.tar/);
  });
});
