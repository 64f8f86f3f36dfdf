import { WorkLimiter, WorkLimiterFullError } from '../../sample/users/work-limiter';

/** A task that finishes when the test says so. */
function gate<T>(value: T) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { task: async () => (await opened, value), open };
}

describe('sample: WorkLimiter (the argon2 line)', () => {
  it('runs at most `concurrency` tasks, queues `queueSize` more in order, and refuses the rest at once', async () => {
    const limiter = new WorkLimiter(1, 2);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) => {
      const g = gate(name);
      return { ...g, result: limiter.run(async () => (started.push(name), g.task())) };
    });
    await Promise.resolve();
    expect(started).toEqual(['a']);
    expect(limiter.pending).toBe(3);
    await expect(limiter.run(async () => 'd')).rejects.toBeInstanceOf(WorkLimiterFullError);

    tasks[0].open();
    await expect(tasks[0].result).resolves.toBe('a');
    expect(started).toEqual(['a', 'b']); // first in, first out
    tasks[1].open();
    tasks[2].open();
    await expect(Promise.all(tasks.map((t) => t.result))).resolves.toEqual(['a', 'b', 'c']);
    expect(limiter.pending).toBe(0);
    await expect(limiter.run(async () => 'e')).resolves.toBe('e'); // room again
  });

  it('a failing task frees its slot', async () => {
    const limiter = new WorkLimiter(1, 0);
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
  });

  it('says how long the line needs, in whole seconds, at least 1', async () => {
    const limiter = new WorkLimiter(1, 0);
    await limiter.run(() => new Promise((resolve) => setTimeout(resolve, 30)));
    const busy = gate('x');
    const running = limiter.run(busy.task);
    const refusal = await limiter.run(async () => 'y').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WorkLimiterFullError);
    expect((refusal as WorkLimiterFullError).retryAfterSeconds).toBe(1);
    busy.open();
    await running;
  });

  it('refuses a concurrency below 1 or a negative queue', () => {
    expect(() => new WorkLimiter(0, 1)).toThrow('concurrency must be an integer >= 1, got 0.');
    expect(() => new WorkLimiter(1, -1)).toThrow('queueSize must be an integer >= 0, got -1.');
  });
});

describe('sample: WorkLimiter, a task whose client hung up', () => {
  const hungUp = () => new Error('client gone');

  it('leaves the line when its signal aborts while waiting, and never runs', async () => {
    const limiter = new WorkLimiter(1, 3);
    const started: string[] = [];
    const first = gate('a');
    const running = limiter.run(async () => (started.push('a'), first.task()));
    const controller = new AbortController();
    const abandoned = limiter.run(async () => (started.push('b'), 'b'), controller.signal);
    const next = limiter.run(async () => (started.push('c'), 'c'));
    expect(limiter.pending).toBe(3);

    const reason = hungUp();
    controller.abort(reason);
    await expect(abandoned).rejects.toBe(reason);
    expect(limiter.pending).toBe(2); // out of the line at once, before the running task ends

    first.open();
    await expect(Promise.all([running, next])).resolves.toEqual(['a', 'c']);
    expect(started).toEqual(['a', 'c']);
    expect(limiter.pending).toBe(0);
  });

  it('an already aborted signal is refused at once, without taking a slot', async () => {
    const limiter = new WorkLimiter(1, 0);
    const task = jest.fn(async () => 'x');
    const reason = hungUp();
    await expect(limiter.run(task, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(task).not.toHaveBeenCalled();
    expect(limiter.pending).toBe(0);
  });
});
