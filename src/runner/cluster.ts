// The runner's view of a real (or fake) cluster: a KubeSession plus its cleanup deadline.

import { KubeSession } from '../kube/client.js';
import { cleanupRun, pendingCleanup } from '../kube/cleanup.js';
import type { RunnerCluster } from './index.js';

export const DEFAULT_CLEANUP_TIMEOUT_MS = 180_000;

export function sessionCluster(session: KubeSession, cleanupTimeoutMs = DEFAULT_CLEANUP_TIMEOUT_MS): RunnerCluster {
  return {
    runId: session.runId,
    forProbe: (view) => session.forProbe(view),
    cleanup: (options) => cleanupRun(session, { ...options, timeoutMs: cleanupTimeoutMs }),
    pending: () => pendingCleanup(session),
  };
}
