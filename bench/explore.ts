// Key-press latency of `strata explore`, measured from outside as a person feels it: the built program
// in a pseudo-terminal, ~200 keys once every layer is read, each timed from writing the key to the end
// of the next frame ink writes. Needs `npm run build`.
//   BENCH_IMAGE=oci:/path/to/layout:tag npx tsx bench/explore.ts     (default: the sample image)
//   BENCH_COLD=1: a store of its own, so no layer is indexed yet (the load scans every layer)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_END, KEYS, PtySession } from '../test/tui/pty.js';
import { REPO, fmtMs } from './lib.js';

const IMAGE = process.env.BENCH_IMAGE ?? `docker-archive:${join(REPO, 'fixtures', 'sample-image.tar')}`;
const COLS = 120;
const ROWS = 40;

/** One step of the plan: a label (for per-kind figures) and the bytes a terminal sends. */
type Step = [kind: string, keys: string];

/** ~200 keys over everything that redraws: layers, tree moves, collapse, hiding, sort, filter, search. */
function plan(layers: number): Step[] {
  const steps: Step[] = [];
  const span = Math.max(1, Math.min(layers - 1, 8));
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < span; i++) steps.push(['layer down', KEYS.down]);
    for (let i = 0; i < span; i++) steps.push(['layer up', KEYS.up]);
  }
  steps.push(['aggregated', KEYS.ctrl('a')], ['layer mode', KEYS.ctrl('l')]);
  for (let i = 0; i < span; i++) steps.push(['layer down', KEYS.down]);
  steps.push(['tab', KEYS.tab]);
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 12; i++) steps.push(['tree down', KEYS.down]);
    steps.push(['collapse', KEYS.space], ['expand', KEYS.space]);
    steps.push(['page down', 'd']);
    steps.push(['hide added', KEYS.ctrl('a')], ['show added', KEYS.ctrl('a')]);
    steps.push(['hide unmodified', KEYS.ctrl('u')], ['show unmodified', KEYS.ctrl('u')]);
    steps.push(['sort', KEYS.ctrl('o')], ['sort', KEYS.ctrl('o')]);
    steps.push(['attributes', KEYS.ctrl('b')], ['attributes', KEYS.ctrl('b')]);
    steps.push(['collapse all', '\x00'], ['expand all', '\x00']); // ctrl+space
    steps.push(['page up', 'u']);
  }
  steps.push(['filter open', KEYS.ctrl('f')]);
  for (const ch of 'bin') steps.push(['filter type', ch]);
  for (let i = 0; i < 3; i++) steps.push(['filter erase', KEYS.backspace]);
  steps.push(['filter close', KEYS.enter]);
  steps.push(['tab', KEYS.tab], ['layer up', KEYS.up], ['tab', KEYS.tab]);
  steps.push(['search open', '/']);
  for (const ch of 'e') steps.push(['search type', ch]);
  steps.push(['search go', KEYS.enter]);
  for (let i = 0; i < 10; i++) steps.push(['search next', i % 2 ? 'N' : 'n']);
  while (steps.length < 200) steps.push(['tree down', KEYS.down], ['tree up', KEYS.up]);
  return steps;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until nothing has been written for `quiet` ms. */
async function settle(s: PtySession, quiet = 40): Promise<void> {
  for (;;) {
    const last = s.chunks.at(-1)?.at ?? 0;
    const idle = s.now() - last;
    if (idle >= quiet) return;
    await sleep(quiet - idle);
  }
}

/** Peak resident set (VmHWM) of the strata process: the bridge's child. */
function peakRssKiB(bridgePid: number): number | undefined {
  try {
    const child = readFileSync(`/proc/${bridgePid}/task/${bridgePid}/children`, 'utf8')
      .trim()
      .split(/\s+/)[0];
    const status = readFileSync(`/proc/${child}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  } catch {
    return undefined;
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'strata-bench-explore-'));
  const trace = join(scratch, 'trace.json');
  const cold = process.env.BENCH_COLD === '1' ? { STRATA_ROOT: join(scratch, 'root') } : {};
  const s = new PtySession([process.execPath, join(REPO, 'bin', 'strata.js'), 'explore', IMAGE], {
    cols: COLS,
    rows: ROWS,
    env: { STRATA_EXPLORE_TRACE: trace, ...cold },
  });
  try {
    await s.waitFor((t) => t.includes('Layers'), 60_000, 'the first frame');
    const firstFrame = s.now();
    await s.waitFor((t) => /Efficiency \d/.test(t), 30 * 60_000, 'every layer read and the waste counted');
    const loaded = s.now();
    const layers = Number(/Layers \((\d+)\)/.exec(s.screen.text())?.[1] ?? 1);
    await settle(s, 200);
    const loadedRss = peakRssKiB(s.child.pid as number);
    const times: { kind: string; ms: number }[] = [];
    let silent = 0;
    for (const [kind, keys] of plan(layers)) {
      const at = s.now();
      s.type(keys);
      const end = await s.nextChunkWith(FRAME_END, at, 2000);
      if (end === undefined) silent++;
      else times.push({ kind, ms: end - at });
      await settle(s);
    }
    const rss = peakRssKiB(s.child.pid as number);
    s.type('q');
    await s.exited;
    const sorted = times.map((t) => t.ms).sort((a, b) => a - b);
    console.log(
      `image: ${IMAGE} (${layers} layers${cold.STRATA_ROOT ? ', none indexed yet' : ''}), terminal ${COLS}x${ROWS}`,
    );
    console.log(`first frame ${fmtMs(firstFrame)}, all layers read and waste counted ${fmtMs(loaded)}`);
    console.log(
      `${times.length} key presses redrew (${silent} changed nothing on screen): p50 ${pct(sorted, 50).toFixed(1)} ms, p95 ${pct(sorted, 95).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
    );
    const kinds = [...new Set(times.map((t) => t.kind))];
    for (const kind of kinds) {
      const ks = times
        .filter((t) => t.kind === kind)
        .map((t) => t.ms)
        .sort((a, b) => a - b);
      console.log(
        `  ${kind.padEnd(16)} n=${String(ks.length).padStart(3)}  p50 ${pct(ks, 50).toFixed(1).padStart(6)} ms  max ${(ks.at(-1) ?? 0).toFixed(1).padStart(6)} ms`,
      );
    }
    // In-process: input event to the end of ink's render; the trace also has the loading frames' inputs.
    const traced = JSON.parse(readFileSync(trace, 'utf8')) as Record<
      'renderMs' | 'inkMs' | 'cpuMs',
      number[]
    >;
    const last = (xs: number[]) => xs.slice(-times.length).sort((a, b) => a - b);
    const [inner, ink, cpu] = [last(traced.renderMs), last(traced.inkMs), last(traced.cpuMs)];
    console.log(
      `in-process (input to frame rendered): p50 ${pct(inner, 50).toFixed(1)} ms, p95 ${pct(inner, 95).toFixed(1)} ms, max ${(inner.at(-1) ?? 0).toFixed(1)} ms; of which ink's output: p50 ${pct(ink, 50).toFixed(1)} ms`,
    );
    console.log(
      `CPU time per key press (the work, whatever else runs): p50 ${pct(cpu, 50).toFixed(1)} ms, p95 ${pct(cpu, 95).toFixed(1)} ms, max ${(cpu.at(-1) ?? 0).toFixed(1)} ms; load average ${loadavg()[0]?.toFixed(2)} on ${cpus().length} cores`,
    );
    const mib = (kib: number | undefined) =>
      kib === undefined ? 'unknown' : `${(kib / 1024).toFixed(0)} MiB`;
    console.log(`peak RSS of strata: ${mib(rss)} (${mib(loadedRss)} by the time every layer was read)`);
  } finally {
    s.kill();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
