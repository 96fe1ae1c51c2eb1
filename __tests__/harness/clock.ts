// A realistic clock for the fake: controllers take the times their upstream defaults give them
// instead of acting within milliseconds. Asked for with `startFakeCluster({ clock })` or a
// scenario's `clock:`; `scale` multiplies every time (the benchmark runs at two small scales and
// extrapolates to 1, i.e. to a real cluster).
//
// The times, and where upstream sets them:
//   hpa                 sync every 15 s (kube-controller-manager --horizontal-pod-autoscaler-sync-period),
//                       scale-down stabilisation 300 s (autoscaling/v2 behavior default), at timeScale 1
//   cluster-autoscaler  scans every 10 s (--scan-interval), removes an unneeded node after 10 min
//                       (--scale-down-unneeded-time)
//   prometheus          series appear one scrape interval after the target is ready: 30 s
//                       (Prometheus Operator default scrapeInterval, kube-prometheus-stack leaves it)
//   gateway             Envoy Gateway programs a Gateway once its proxy Deployment is available:
//                       ~15 s for the envoy image pull and readiness on a fresh node
//   kubelet             ~2 s from binding to Running (sandbox + image already cached)
//   scheduler           binds within the scheduling cycle: no added time
import type { Scenario } from './scenario.js';
import { isRecord } from './types.js';

export interface ClockOptions {
  realistic: boolean;
  /** Multiplies every modelled time (default 1). */
  scale?: number;
}

/** Parameters per behaviour at scale 1. */
export const REALISTIC_TIMES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  hpa: { syncMs: 15_000, timeScale: 1 },
  'cluster-autoscaler': { scaleUpDelayMs: 10_000, scaleDownDelayMs: 600_000 },
  prometheus: { scrapeDelayMs: 30_000 },
  gateway: { programDelayMs: 15_000 },
  kubelet: { startDelayMs: 2_000 },
  scheduler: { delayMs: 0 },
};

/** The scenario with every behaviour it runs on the realistic clock (explicit times are replaced). */
export function withClock(scenario: Scenario, clock: ClockOptions | undefined): Scenario {
  if (!clock?.realistic) return scenario;
  const scale = clock.scale ?? 1;
  const behaviours = { ...(scenario.behaviours ?? {}) };
  for (const [name, times] of Object.entries(REALISTIC_TIMES)) {
    const current = Object.hasOwn(behaviours, name) ? behaviours[name] : undefined;
    if (current === false) continue;
    const core = ['kubelet', 'scheduler'].includes(name);
    if (current === undefined && !core) continue;
    const scaled = Object.fromEntries(
      Object.entries(times).map(([key, ms]) => [key, key === 'timeScale' ? ms * scale : Math.round(ms * scale)]),
    );
    // hpa's syncMs is a period: scaled like the others, its windows through timeScale.
    behaviours[name] = { ...(isRecord(current) ? current : {}), ...scaled };
  }
  return { ...scenario, behaviours };
}
