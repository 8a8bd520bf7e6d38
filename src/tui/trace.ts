/**
 * Opt-in timing for the bench (STRATA_EXPLORE_TRACE=FILE): for each input event, the time until ink
 * has rendered the frame it caused, written to FILE as JSON on exit. Costs nothing when off.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.STRATA_EXPLORE_TRACE;
let pending: { at: number; cpu: NodeJS.CpuUsage } | undefined;
const times: number[] = [];
const inkTimes: number[] = [];
/** CPU time (user + system) from input to frame: the work done, whatever else the machine runs. */
const cpuTimes: number[] = [];

/** An input event arrived. */
export function markInput(): void {
  if (file) pending = { at: performance.now(), cpu: process.cpuUsage() };
}

/** ink rendered a frame; `renderTime` is its own share (layout and output, after React's). */
export function markRender(metrics: { renderTime: number }): void {
  if (!file || pending === undefined) return;
  times.push(performance.now() - pending.at);
  const cpu = process.cpuUsage(pending.cpu);
  cpuTimes.push((cpu.user + cpu.system) / 1000);
  inkTimes.push(metrics.renderTime);
  pending = undefined;
}

export function writeTrace(): void {
  if (file) writeFileSync(file, JSON.stringify({ renderMs: times, inkMs: inkTimes, cpuMs: cpuTimes }));
}
