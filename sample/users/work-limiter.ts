/** Thrown by `WorkLimiter.run` when every slot is busy and the line is full. */
export class WorkLimiterFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('Too much work waiting');
  }
}

/**
 * Runs at most `concurrency` tasks at once; up to `queueSize` more wait in line, in order; beyond that,
 * `run` refuses at once with a WorkLimiterFullError that says when the line should have room again.
 * A task whose `signal` aborts (its client hung up) never starts: it leaves the line at once, or gives
 * back the slot it was just handed, and `run` rejects with the signal's reason.
 */
export class WorkLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** A running average of a task's duration, for the Retry-After estimate. */
  private averageMs = 0;

  constructor(
    readonly concurrency: number,
    readonly queueSize: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be an integer >= 1, got ${concurrency}.`);
    if (!Number.isInteger(queueSize) || queueSize < 0) throw new Error(`queueSize must be an integer >= 0, got ${queueSize}.`);
  }

  /** Tasks running or waiting. */
  get pending(): number {
    return this.running + this.waiting.length;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.running < this.concurrency) this.running++;
    else if (this.waiting.length < this.queueSize) await this.slot(signal);
    else throw new WorkLimiterFullError(this.secondsUntilRoom());
    if (signal?.aborted) {
      this.release(); // it hung up as its turn came: the next one in line gets the slot
      throw signal.reason;
    }
    const started = performance.now();
    try {
      return await task();
    } finally {
      const ms = performance.now() - started;
      this.averageMs = this.averageMs === 0 ? ms : 0.8 * this.averageMs + 0.2 * ms;
      this.release();
    }
  }

  /** Waits in line until a running task hands over its slot; leaves the line when `signal` aborts. */
  private slot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(handOver);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(signal!.reason);
      };
      const handOver = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiting.push(handOver);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); // hand the slot over
    else this.running--;
  }

  /** Seconds until the work now in line is done, rounded up, at least 1. */
  private secondsUntilRoom(): number {
    return Math.max(1, Math.ceil((this.pending * this.averageMs) / this.concurrency / 1000));
  }
}
