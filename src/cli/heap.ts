/**
 * V8 heap settings for the commands that hold a whole image's indexes in memory, set when such a
 * command starts (flags set at run time apply from the next collection; each command is its own
 * process). Measured on the 2.9 GB, 95,000-path bench image: see docs/PERFORMANCE.md.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How far V8 lets the old generation grow past what survived the last full collection, in percent
 * (by default it lets it reach several times that). The explorer loads at 20 %: its peak RSS was
 * 367 MiB without, 306 MiB with (10 %: 287 MiB, but collections during key presses took p95 from 126
 * to 175 ms). Once loaded it reads keys at 35 %: each key promotes a little (ink's text caches, row
 * sets), and at 20 % a full collection's concurrent marking overlapped one frame in twenty: p95
 * 72–87 ms against 55–83 ms at 35 %, peak RSS 263–286 against 280–289 MiB; 100 %: 326 MiB.
 */
export function setOldGenerationGrowth(percent: number): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Keep the young generation at its size (1 MiB semi-spaces at start) instead of letting it grow to
 * 16 MiB ones, or let it grow again. Loading an image builds objects that live to the end, so a larger
 * young generation only holds memory. V8 never shrinks it back, and loading strata's modules alone grew
 * it to 8–16 MiB, so commands that hold an image set this before any module loads (`cli/main.ts`):
 * explorer peak RSS 254–257 → 241–246 MiB by the end of loading, 376–436 → 330 MiB loading an image
 * not yet indexed. The explorer lets it grow again once loaded: held while keys were read, p95 was
 * 44–85 ms against 38–40 ms.
 */
export function holdYoungGeneration(hold: boolean): void {
  setFlagsFromString(`--semi-space-growth-factor=${hold ? 1 : 2}`);
}

let gc: (() => void) | undefined;

/**
 * A full collection now. The explorer calls it where loading has just left much garbage (before each
 * scanned layer's step; every layer in the timeline; the waste counted): V8 would otherwise grow the
 * heap by its growth factor on top of it first. Loading the bench image not yet indexed peaked at
 * 329–341 MiB RSS without, 297–310 MiB with the last two; with workers reading files themselves,
 * 286–298 MiB without the one per layer, 280–283 MiB with it. `gc` exists in contexts made after
 * --expose-gc is set.
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
