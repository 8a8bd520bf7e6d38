/** Blobs moved at once unless asked otherwise: Docker's default max-concurrent-downloads. */
export const DEFAULT_CONCURRENT_BLOBS = 3;

/** At most `limit` tasks at once; the rest wait in order (Docker's max-concurrent-downloads). */
export class Limiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Run fn when a slot is free; onWait is called once if the task has to wait for one. */
  async run<T>(fn: () => Promise<T>, onWait?: () => void): Promise<T> {
    if (this.running >= this.limit) {
      onWait?.();
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
