import { sha256 } from './digest.js';

/** sha256 of 1024 NUL bytes: the diffID of an empty tar. */
export const EMPTY_TAR_DIFFID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/**
 * Chain IDs as the layer database names its directories: the base layer's chain ID is its diffID,
 * every other is sha256("<parent chainID> <diffID>").
 */
export function chainIDs(diffIDs: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, diffID] of diffIDs.entries()) {
    out.push(i === 0 ? diffID : sha256(`${out[i - 1]} ${diffID}`));
  }
  return out;
}
