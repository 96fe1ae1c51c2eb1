// Runs tasks concurrently up to a limit. A resource a task holds exclusively is held by no other
// task; a resource tasks share (e.g. a few accelerators each) is held by any number of them, but
// never while one task holds it exclusively (e.g. one that fills every accelerator).
// Tasks start in the order given whenever they can; a blocked task does not hold back later ones.

export interface SchedulableTask {
  exclusive?: readonly string[];
  shares?: readonly string[];
  start(): Promise<void>;
}

export async function runScheduled(tasks: readonly SchedulableTask[], parallel: number): Promise<void> {
  const limit = Math.max(1, parallel);
  const pending = [...tasks];
  const held = new Set<string>();
  const sharedBy = new Map<string, number>();
  let running = 0;

  const canStart = (task: SchedulableTask) =>
    (task.exclusive ?? []).every((name) => !held.has(name) && !sharedBy.get(name)) && (task.shares ?? []).every((name) => !held.has(name));
  const share = (names: readonly string[], delta: number) => {
    for (const name of names) sharedBy.set(name, (sharedBy.get(name) ?? 0) + delta);
  };

  await new Promise<void>((resolve) => {
    const pump = () => {
      for (let i = 0; i < pending.length && running < limit;) {
        const task = pending[i];
        if (!canStart(task)) {
          i += 1;
          continue;
        }
        pending.splice(i, 1);
        const exclusive = task.exclusive ?? [];
        const shares = task.shares ?? [];
        for (const name of exclusive) held.add(name);
        share(shares, 1);
        running += 1;
        // start() never rejects (the runner turns every failure into a result), but be safe.
        task
          .start()
          .catch(() => undefined)
          .finally(() => {
            for (const name of exclusive) held.delete(name);
            share(shares, -1);
            running -= 1;
            pump();
          });
      }
      if (pending.length === 0 && running === 0) resolve();
    };
    pump();
  });
}
