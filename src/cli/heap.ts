/**
 * V8 heap settings for the commands that hold a whole image's indexes in memory, set when such a
 * command starts (flags set at run time apply from the next collection; each command is its own
 * process). Measured on the 2.9 GB, 95,000-path bench image: see docs/PERFORMANCE.md.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * Grow the old generation 20 % at a time. V8 lets it grow to several times what survives before it
 * collects: the explorer's peak RSS was 367 MiB that way, 306 MiB with this, with no slower keys (10 %:
 * 287 MiB, but collections during key presses took p95 from 126 to 175 ms).
 */
export function holdOldGenerationGrowth(): void {
  setFlagsFromString('--heap-growing-percent=20');
}

/**
 * Keep the young generation at its first size (1 MiB semi-spaces) instead of letting it grow to
 * 16 MiB ones, or let it grow again. Loading an image builds objects that live to the end, so a larger
 * young generation only holds memory: peak RSS −10 to −20 MiB for analyze, −45 MiB while the explorer
 * loads. Not while keys are read: the explorer's frames then collect so often that keys took 40 % longer.
 */
export function holdYoungGeneration(hold: boolean): void {
  setFlagsFromString(`--semi-space-growth-factor=${hold ? 1 : 2}`);
}
