/** A failed CI gate: the report says why; the exit code is 1, with no further message. */
export class CiFailed extends Error {}
