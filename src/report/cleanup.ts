// The lines every report shows about cleanup: what the run left on the cluster (by
// kind/namespace/name), the command that deletes it, and whether the run was cut short.
// Plain text; each reporter escapes it for its own format.

import { describeLeftover, type RunResults } from '../model/results.js';

/** Shown in full up to this many; the rest are counted (the command deletes them all). */
const MAX_LISTED = 50;

export interface CleanupLines {
  /** "Namespace aic-x", … (at most MAX_LISTED, then "… and N more"). */
  leftovers: string[];
  command?: string;
  /** Why the results are partial, when they are. */
  interrupted?: string;
}

export function cleanupLines(results: RunResults): CleanupLines {
  const all = (results.cleanup?.leftovers ?? []).map(describeLeftover);
  const leftovers = all.length > MAX_LISTED ? [...all.slice(0, MAX_LISTED), `… and ${all.length - MAX_LISTED} more`] : all;
  return {
    leftovers,
    ...(results.cleanup?.command && all.length > 0 ? { command: results.cleanup.command } : {}),
    ...(results.interrupted ? { interrupted: results.interrupted } : {}),
  };
}
