/** Where commands write: data to stdout, everything else to stderr. Swappable for tests. */
export interface CliIO {
  out(text: string | Uint8Array): void;
  err(text: string): void;
  /** Milliseconds since the epoch; fixed in tests that compare relative times. */
  now(): number;
}

export const processIO: CliIO = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
  now: () => Date.now(),
};
