/** Where commands write: data to stdout, everything else to stderr. Swappable for tests. */
export interface CliIO {
  out(text: string | Uint8Array): void;
  err(text: string): void;
  /** Milliseconds since the epoch; fixed in tests that compare relative times. */
  now(): number;
  /**
   * The command has the process to itself (the strata binary), so process-wide settings such as V8's
   * heap flags are its to make; not when a test or a host program runs commands in-process.
   */
  ownsProcess?: boolean;
}

let quietOnClosedPipe = false;

/** `strata … | head` closes stdout early: that is the reader's choice, not an error. */
function exitQuietlyOnEPIPE(): void {
  if (quietOnClosedPipe) return;
  quietOnClosedPipe = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export const processIO: CliIO = {
  out: (text) => {
    exitQuietlyOnEPIPE();
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
  now: () => Date.now(),
  ownsProcess: true,
};
