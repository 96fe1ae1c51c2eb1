// Local directories a run makes that hold secrets (the kind work directory holds the cluster's
// admin kubeconfig). Their owners remove them on every normal path; a forced exit (the same
// signal twice) leaves no time for the owners' finally blocks, so it removes what is still here.
import { rmSync } from 'node:fs';

const open = new Set<string>();

/** Remembers the directory until the returned function is called (by its owner, once removed). */
export function trackWorkDir(dir: string): () => void {
  open.add(dir);
  return () => {
    open.delete(dir);
  };
}

/** Removes every directory still tracked, at once (a forced exit is about to end the process). */
export function removeWorkDirsNow(): string[] {
  const removed = [...open];
  for (const dir of removed) {
    rmSync(dir, { recursive: true, force: true });
    open.delete(dir);
  }
  return removed;
}
