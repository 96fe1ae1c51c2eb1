// The MUST suite through `run` on a cluster that throttles and fails: 20 % of requests answered
// 429 (with Retry-After, as priority and fairness sends it) and 5 % answered 500, on every verb,
// watches included. Every MUST gets the verdict it gets without faults, and nothing leaks.
// How much longer it takes is measured by `npm run bench -- --faults`, not here.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS_DIR, startFakeCluster } from '../harness/index.js';
import { normaliseScenario, type Fault } from '../harness/scenario.js';
import { labelledInStore } from '../helpers/probe-harness.js';
import { main } from '../../src/main.js';
import type { RunResults } from '../../src/model/results.js';

const LOAD_FAULTS: Fault[] = [
  { errorRate: 0.2, status: 429 },
  { errorRate: 0.05, status: 500 },
];

async function runMusts(faults: Fault[]): Promise<{ results: RunResults; injected: number; left: string[] }> {
  const base = normaliseScenario(path.join(SCENARIOS_DIR, 'gpu-nvidia-1.35.yaml'), SCENARIOS_DIR);
  const cluster = await startFakeCluster({ scenario: { ...base, faults: [...(base.faults ?? []), ...faults] }, tls: false });
  try {
    const out = mkdtempSync(path.join(tmpdir(), 'aic-faults-'));
    await main([
      'run',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--out',
      out,
      '--level',
      'must',
      '--allow-node-scaling',
      '--offline',
      '--probe-option',
      'gang-scheduling.window-ms=1000',
    ]);
    const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
    return { results, injected: cluster.stats().faults, left: labelledInStore(cluster, results.runId) };
  } finally {
    await cluster.stop();
  }
}

const verdicts = (results: RunResults) =>
  Object.fromEntries(results.requirements.filter((r) => r.level === 'MUST').map((r) => [r.id, r.verdict]));

describe('the MUST suite under injected 429s and 500s', () => {
  it('gets the same verdicts as without faults and leaves nothing behind', { timeout: 240_000 }, async () => {
    const clean = await runMusts([]);
    const faulted = await runMusts(LOAD_FAULTS);
    expect(faulted.injected).toBeGreaterThan(20);
    expect(Object.keys(verdicts(clean.results))).toHaveLength(9);
    expect(verdicts(faulted.results), faulted.results.requirements.map((r) => `${r.id}: ${r.reason}`).join('\n')).toEqual(
      verdicts(clean.results),
    );
    expect(faulted.results.leaked).toBe(0);
    expect(faulted.results.cleanup).toEqual({ finished: true, leftovers: [] });
    expect(faulted.left).toEqual([]);
  });
});
