/** The edge cases of dive-notes §2.6, on a 100-byte base layer (which gives the table's 0.0001). */
import type { LayerIndex } from '../../src/layer/index-types.js';
import { dir, file, layer, opaque, whiteout } from '../union/layers.js';

const MB = 1_000_000;
const base = () => layer(dir('/etc'), file('/etc/base', 100));

export const cases: Record<'A' | 'B' | 'C' | 'D', LayerIndex[]> = {
  /** `rm -rf /data`: a directory whiteout. */
  A: [base(), layer(dir('/data'), file('/data/big', MB)), layer(whiteout('/data'))],
  /** The same path written twice. */
  B: [base(), layer(file('/big', MB)), layer(file('/big', MB, { hash: 'sha256:other' }))],
  /** An opaque directory hides what a lower layer put in it (Docker writes the dir, then the marker). */
  C: [base(), layer(dir('/data'), file('/data/big', MB)), layer(dir('/data'), opaque('/data'))],
  /** A file whiteout. */
  D: [base(), layer(file('/big', MB)), layer(whiteout('/big'))],
};
export { MB };
