// Runs tasks concurrently up to a limit, never two at once that share an exclusive resource.
// Tasks start in the order given whenever they can; a blocked task does not hold back later ones.

export interface SchedulableTask {
  exclusive?: readonly string[];
  start(): Promise<void>;
}

export async function runScheduled(tasks: readonly SchedulableTask[], parallel: number): Promise<void> {
  const limit = Math.max(1, parallel);
  const pending = [...tasks];
  const held = new Set<string>();
  let running = 0;

  await new Promise<void>((resolve) => {
    const pump = () => {
      for (let i = 0; i < pending.length && running < limit; ) {
        const task = pending[i]!;
        const needs = task.exclusive ?? [];
        if (needs.some((name) => held.has(name))) {
          i += 1;
          continue;
        }
        pending.splice(i, 1);
        for (const name of needs) held.add(name);
        running += 1;
        // start() never rejects (the runner turns every failure into a result), but be safe.
        task
          .start()
          .catch(() => undefined)
          .finally(() => {
            for (const name of needs) held.delete(name);
            running -= 1;
            pump();
          });
      }
      if (pending.length === 0 && running === 0) resolve();
    };
    pump();
  });
}
