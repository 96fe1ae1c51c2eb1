// `npm run bench`: the suite on the fake cluster with injected API latency, on a small and a
// 5,000-node version of the same scenario. Prints, in one run:
//   - suite wall time, the longest single probe, and their ratio (target <= 1.15: probes overlap);
//   - API requests and bytes per probe (each probe run alone, so the figures are its own) and in
//     total, on both sizes (target: 5,000 nodes <= 1.2 x 3 nodes: nothing scans every node);
//   - how soon a met condition is noticed: store change -> waitFor resolved (target <= 100 ms).
// Exits 1 when a target is missed.
//
//   npm run bench -- [--scenario NAME|FILE] [--large-scenario derive|NAME|FILE] [--latency-ms 20]
//                    [--large-nodes 5000] [--large-pods 100000] [--samples 20] [--gang-window-ms 2000]

import { parseArgs } from 'node:util';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { SCENARIOS_DIR, startFakeCluster, type FakeCluster, type Scenario } from '../__tests__/harness/index.js';
import { normaliseScenario } from '../__tests__/harness/scenario.js';
import { KubeSession } from '../src/kube/client.js';
import type { RequirementResult } from '../src/model/results.js';
import { parseKubernetesVersion } from '../src/requirements/catalog.js';
import { BUILTIN_PROBES } from '../src/probes/index.js';
import type { Probe } from '../src/probes/types.js';
import { newRunId, planRequirements } from '../src/runner/index.js';
import { defaultRunConfig } from '../src/run/config.js';
import { executeRun } from '../src/run/execute.js';

const { values } = parseArgs({
  options: {
    // The PR-mode cluster. `--scenario gpu-nvidia-1.35` also exercises cluster_autoscaling (node
    // scaling is allowed: on the fake it costs nothing); that probe holds the accelerators alone,
    // so it runs after the others and the overlap ratio then reflects that serialisation.
    scenario: { type: 'string', default: 'kind-example-dra-1.35' },
    /**
     * The large scenario. "derive" (default) is --scenario itself plus generated nodes (up to
     * --large-nodes) and --large-pods running pods, so both sizes have the same add-ons and
     * verdicts and only the size differs; or a scenario name/file such as large-1.35.
     */
    'large-scenario': { type: 'string', default: 'derive' },
    'large-pods': { type: 'string', default: '100000' },
    'latency-ms': { type: 'string', default: '20' },
    'large-nodes': { type: 'string', default: '5000' },
    samples: { type: 'string', default: '20' },
    /**
     * gang_scheduling's negative check watches for a fixed window (30 s by default) that no pod
     * starts. Left at 30 s it would dominate the wall time, and the ratio would pass even if the
     * probes ran one after another; shortened, the ratio measures how well the probes overlap.
     */
    'gang-window-ms': { type: 'string', default: '2000' },
  },
});
const gangWindowMs = values['gang-window-ms'];
const latencyMs = Number(values['latency-ms']);
const largeNodes = Number(values['large-nodes']);
const samples = Number(values.samples);
const largePods = Number(values['large-pods']);

interface SuiteFigures {
  wallMs: number;
  /** Until the last probe ended, before cleanup. */
  probesMs: number;
  longest: RequirementResult;
  verdicts: string;
}
interface ProbeFigures {
  id: string;
  requests: number;
  bytes: number;
  durationMs: number;
  verdict: string;
}
interface SizeFigures {
  label: string;
  nodes: number;
  suite: SuiteFigures;
  probes: ProbeFigures[];
  noticeMs: number[];
}

function withLatency(base: Scenario, extraNodes: number): Scenario {
  const nodes = (base.nodes ?? []).length;
  return {
    ...base,
    name: `${base.name}${extraNodes ? `+${nodes + extraNodes}-nodes${largePods > 0 ? `+${largePods}-pods` : ''}` : ''}`,
    faults: [...(base.faults ?? []), { latencyMs }],
    ...(extraNodes
      ? {
          generate: {
            ...base.generate,
            nodes: { count: extraNodes, namePrefix: 'bench-node-' },
            ...(largePods > 0 ? { pods: { count: largePods, namespaces: 100, namespacePrefix: 'bench-load-', namePrefix: 'bench-pod-' } } : {}),
          },
        }
      : {}),
  };
}

async function runProbes(cluster: FakeCluster, probes: readonly Probe[]) {
  const version = parseKubernetesVersion(cluster.scenario.kubernetesVersion);
  if (!version) throw new Error(`Kubernetes ${cluster.scenario.kubernetesVersion} is not in the catalog`);
  const supported = probes.filter((p) => planRequirements({ version, builtin: probes }).some((e) => e.action === 'run' && e.requirement.id === p.id));
  // The same composition root as `run`, with the fake as the cluster and no reports.
  const config = defaultRunConfig({
    only: supported.map((p) => p.id),
    builtinProbes: supported,
    probeOptions: { allowNodeScaling: true, extra: { 'gang-scheduling.window-ms': gangWindowMs! } },
  });
  // Timed from the first probe's start, as before the composition root existed: connecting and
  // detecting the accelerator are not the suite.
  let started: number | undefined;
  let cleanupAt: number | undefined;
  const { results } = await executeRun(config, {
    provide: async () => ({ mode: 'kubeconfig', kubeConfig: cluster.kubeConfig(), cleanup: async () => {} }),
    cleanupTimeoutMs: 30_000,
    log: () => {},
    progress: (line) => {
      if (line.startsWith('[start]')) started ??= performance.now();
      if (line.startsWith('[clean] deleting')) cleanupAt = performance.now();
    },
  });
  const ended = performance.now();
  started ??= ended;
  return { results, wallMs: ended - started, probesMs: (cleanupAt ?? ended) - started, ran: results.requirements.filter((r) => r.verdict !== 'skipped') };
}

/** Store change -> waitFor resolved, measured `samples` times. */
async function noticeLatency(cluster: FakeCluster): Promise<number[]> {
  const session = new KubeSession(cluster.kubeConfig(), newRunId());
  const kube = session.forProbe({ probeId: 'bench', namespace: 'default' });
  const timings: number[] = [];
  for (let i = 0; i < samples; i++) {
    const name = `bench-notice-${i}`;
    await kube.create<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { state: 'waiting' } });
    let changedAt = 0;
    const waiting = kube.waitFor<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name }, (cm) => cm.data?.state === 'met', {
      description: `${name} met`,
      timeoutMs: 10_000,
    });
    // Change the store once the watch is surely established (list + watch under injected latency).
    await new Promise((resolve) => setTimeout(resolve, 4 * latencyMs + 50));
    changedAt = performance.now();
    cluster.store.mutate('configmaps', 'default', name, (obj) => ({ ...obj, data: { state: 'met' } }));
    await waiting;
    timings.push(performance.now() - changedAt);
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name });
  }
  return timings;
}

/** One fake cluster per size: the whole suite, then each probe alone (its own figures), then waits. */
async function measure(label: string, scenario: Scenario): Promise<SizeFigures> {
  process.stderr.write(`bench: ${label}: starting the fake cluster (${scenario.name})...\n`);
  const cluster = await startFakeCluster({ scenario, tls: false });
  try {
    const nodes = cluster.store.count('nodes');
    process.stderr.write(`bench: ${label}: ${nodes} nodes; the suite...\n`);
    const { wallMs, probesMs, ran } = await runProbes(cluster, BUILTIN_PROBES);
    const longest = ran.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
    const suite: SuiteFigures = { wallMs, probesMs, longest, verdicts: ran.map((r) => `${r.id}=${r.verdict}${r.verdict === 'passed' || r.verdict === 'not-applicable' ? '' : ` (${r.reason})`}`).join(' ') };
    const probes: ProbeFigures[] = [];
    for (const probe of BUILTIN_PROBES) {
      process.stderr.write(`bench: ${label}: ${probe.id} alone...\n`);
      // Everything the previous run created is gone (cleanup waits for it), so the counts are this probe's.
      cluster.resetStats();
      const { ran: alone } = await runProbes(cluster, [probe]);
      const stats = cluster.stats();
      const result = alone[0];
      if (result) probes.push({ id: probe.id, requests: stats.requests, bytes: stats.bytes, durationMs: result.durationMs, verdict: result.verdict });
    }
    process.stderr.write(`bench: ${label}: notice latency...\n`);
    const noticeMs = await noticeLatency(cluster);
    return { label, nodes, suite, probes, noticeMs };
  } finally {
    await cluster.stop();
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
};

async function main(): Promise<number> {
  const base = normaliseScenario(values.scenario!, SCENARIOS_DIR);
  const small = await measure('small', withLatency(base, 0));
  const largeScenario =
    values['large-scenario'] === 'derive'
      ? withLatency(base, Math.max(0, largeNodes - (base.nodes ?? []).length))
      : withLatency(normaliseScenario(values['large-scenario']!, SCENARIOS_DIR), 0);
  const large = await measure('large', largeScenario);

  const lines: string[] = [];
  lines.push(`Benchmark: scenarios ${base.name} and ${largeScenario.name}, ${latencyMs} ms injected API latency on every request`);
  lines.push(`gang_scheduling's no-pod-starts window: ${gangWindowMs} ms (30 s in real runs), so the ratio measures overlap rather than one fixed wait`);
  for (const size of [small, large]) {
    const ratio = size.suite.wallMs / Math.max(1, size.suite.longest.durationMs);
    const sorted = [...size.noticeMs].sort((a, b) => a - b);
    lines.push('');
    lines.push(`== ${size.nodes} nodes ==`);
    lines.push(
      `suite wall time ${s(size.suite.wallMs)} (probes ${s(size.suite.probesMs)} + cleanup ${s(size.suite.wallMs - size.suite.probesMs)}); longest probe ${size.suite.longest.id} ${s(size.suite.longest.durationMs)}; ratio ${ratio.toFixed(3)} (target <= 1.15; probes alone ${(size.suite.probesMs / Math.max(1, size.suite.longest.durationMs)).toFixed(3)})`,
    );
    lines.push(`verdicts: ${size.suite.verdicts}`);
    lines.push(
      `condition noticed after: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms over ${sorted.length} changes (target <= 100 ms)`,
    );
    lines.push(pad([['probe', 'requests', 'bytes', 'duration', 'verdict'], ...size.probes.map((p) => [p.id, String(p.requests), kb(p.bytes), s(p.durationMs), p.verdict])]));
  }
  lines.push('');
  lines.push(`== ${large.nodes} nodes vs ${small.nodes} nodes (target <= 1.2x) ==`);
  const rows = [['probe', 'requests', 'bytes']];
  let worst = 0;
  for (const probe of small.probes) {
    const other = large.probes.find((p) => p.id === probe.id);
    if (!other) continue;
    const requests = other.requests / Math.max(1, probe.requests);
    const bytes = other.bytes / Math.max(1, probe.bytes);
    worst = Math.max(worst, requests, bytes);
    rows.push([probe.id, `${requests.toFixed(2)}x`, `${bytes.toFixed(2)}x`]);
  }
  const total = (size: SizeFigures, key: 'requests' | 'bytes') => size.probes.reduce((sum, p) => sum + p[key], 0);
  const totalRequests = total(large, 'requests') / Math.max(1, total(small, 'requests'));
  const totalBytes = total(large, 'bytes') / Math.max(1, total(small, 'bytes'));
  rows.push(['(all)', `${totalRequests.toFixed(2)}x`, `${totalBytes.toFixed(2)}x`]);
  lines.push(pad(rows));

  const missed: string[] = [];
  for (const size of [small, large]) {
    const ratio = size.suite.wallMs / Math.max(1, size.suite.longest.durationMs);
    if (ratio > 1.15) missed.push(`${size.nodes} nodes: suite/longest ${ratio.toFixed(3)} > 1.15`);
    const max = Math.max(...size.noticeMs);
    if (max > 100) missed.push(`${size.nodes} nodes: a condition was noticed after ${max.toFixed(1)} ms > 100 ms`);
  }
  if (totalRequests > 1.2) missed.push(`requests on ${large.nodes} nodes are ${totalRequests.toFixed(2)}x those on ${small.nodes}`);
  if (totalBytes > 1.2) missed.push(`bytes on ${large.nodes} nodes are ${totalBytes.toFixed(2)}x those on ${small.nodes}`);
  if (worst > 1.2) missed.push(`worst single probe grows ${worst.toFixed(2)}x`);
  lines.push('');
  lines.push(missed.length === 0 ? 'All targets met.' : `Targets missed:\n${missed.map((m) => `  - ${m}`).join('\n')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return missed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
