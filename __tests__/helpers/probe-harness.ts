// Runs one probe end to end against the fake cluster through `run`'s own composition root
// (executeRun: own namespace, labels, timeout, cleanup), and counts labelled leftovers straight from the fake's store so a
// test can assert that nothing was left behind independently of the runner's own count.

import { resourceKey } from '../harness/resources.js';
import { startFakeCluster, type FakeCluster, type Scenario } from '../harness/index.js';
import type { ApiClientOptions } from '../../src/kube/api.js';
import { RUN_LABEL } from '../../src/kube/types.js';
import type { RequirementResult, RunResults } from '../../src/model/results.js';
import { parseKubernetesVersion } from '../../src/requirements/catalog.js';
import { profileFromFlag } from '../../src/probes/profiles.js';
import type { Probe, ProbeOptions } from '../../src/probes/types.js';
import { defaultRunConfig } from '../../src/run/config.js';
import { executeRun } from '../../src/run/execute.js';

export interface ProbeRunOptions {
  /** --accelerator value; default: detected from the scenario. */
  accelerator?: string;
  /** Overrides the probe's timeout. */
  timeoutMs?: number;
  probeOptions?: Partial<ProbeOptions>;
  /** Serve HTTPS (default false: faster; TLS is covered by the kube layer tests). */
  tls?: boolean;
  /** How long cleanup may wait for deletions (default 10 s). */
  cleanupTimeoutMs?: number;
  /** Aborts the run like SIGTERM does. */
  signal?: AbortSignal;
  /** Keep the fake cluster running after the run (the caller must stop it). Default: stopped. */
  keepCluster?: boolean;
  runId?: string;
  /** Rate limit and retry policy; default: real limits, back-off shortened to tens of ms. */
  api?: ApiClientOptions;
}

/**
 * The real number of attempts with a back-off short enough for tests: a probe facing a fault
 * that never clears still makes every attempt, and ends in error within a second, not ~25 s.
 */
export const TEST_API_OPTIONS: ApiClientOptions = { retry: { baseDelayMs: 10, maxDelayMs: 100 } };

export interface ProbeRun {
  result: RequirementResult;
  results: RunResults;
  /** The runner's own count of labelled leftovers. */
  leaked: number;
  /** Labelled objects found in the fake's store after the run, counted independently. */
  leftInStore: string[];
  /** Progress lines the runner printed. */
  log: string[];
  cluster: FakeCluster;
}

/** Every object in the fake's store carrying the run label, as "resource namespace/name". */
export function labelledInStore(cluster: FakeCluster, runId: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const gv of cluster.registry.all()) {
    if (gv.source === 'aggregated') continue;
    for (const resource of gv.resources) {
      const key = resourceKey(resource.group, resource.resource);
      if (seen.has(key)) continue;
      seen.add(key);
      let objects;
      try {
        objects = cluster.store.list(key);
      } catch {
        continue;
      }
      for (const object of objects) {
        if (object.metadata.labels?.[RUN_LABEL] === runId)
          found.push(`${key} ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`);
      }
    }
  }
  return found;
}

export async function runProbeOnScenario(probe: Probe, scenario: string | Scenario, opts: ProbeRunOptions = {}): Promise<ProbeRun> {
  const cluster = await startFakeCluster({ scenario, tls: opts.tls ?? false });
  try {
    if (!parseKubernetesVersion(cluster.scenario.kubernetesVersion))
      throw new Error(`scenario ${cluster.scenario.name}: Kubernetes ${cluster.scenario.kubernetesVersion} is not in the catalog`);
    const runId = opts.runId ?? `rtest-${Math.random().toString(16).slice(2, 8)}`;
    const { allowNodeScaling = false, extra = {}, kubernetesVersion: _version, ...urls } = opts.probeOptions ?? {};
    const config = defaultRunConfig({
      only: [probe.id],
      builtinProbes: [],
      extraProbes: [{ probe, origin: 'builtin' }],
      accelerator: opts.accelerator ? profileFromFlag(opts.accelerator) : undefined,
      timeoutMs: opts.timeoutMs,
      probeOptions: { allowNodeScaling, extra, ...urls },
      api: opts.api ?? TEST_API_OPTIONS,
    });
    const log: string[] = [];
    // The same composition root as `run`, with the fake as the cluster.
    const { results } = await executeRun(config, {
      provide: async () => ({ mode: 'kubeconfig', kubeConfig: cluster.kubeConfig(), cleanup: async () => {} }),
      runId,
      signal: opts.signal,
      cleanupTimeoutMs: opts.cleanupTimeoutMs ?? 10_000,
      progress: (line) => log.push(line),
      log: (line) => log.push(line),
    });
    const result = results.requirements.find((r) => r.id === probe.id);
    if (!result) throw new Error(`no result for ${probe.id}`);
    return { result, results, leaked: results.leaked, leftInStore: labelledInStore(cluster, runId), log, cluster };
  } finally {
    if (!opts.keepCluster) await cluster.stop();
  }
}
