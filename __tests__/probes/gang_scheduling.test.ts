// gang_scheduling end to end on the fake cluster: Kueue (both Workload API versions) and
// Volcano admit a fitting gang whole and start nothing of a gang that does not fit; a partial
// admitter fails; no solution fails (a MUST); API faults are errors.
import { describe, expect, it } from 'vitest';
import { gangSchedulingProbe } from '../../src/probes/gang_scheduling.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { scenarioPath } from './scenarioFile.js';

const fast = { probeOptions: { extra: { 'gang-scheduling.window-ms': '300', 'gang-scheduling.complete-ms': '8000' } } };

describe('gang_scheduling', () => {
  it('passes with Kueue v1beta2 on kind-example-dra-1.35', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('kind-example-dra-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('Kueue (kueue.x-k8s.io/v1beta2)');
    expect(run.result.checks.map((c) => c.reason).join('\n')).toMatch(
      /no pod of the 3-pod gang started within 300ms with room for 2; Workload \S+ waits: QuotaReserved=False/,
    );
    expectClean(run);
  });

  it('passes on gpu-nvidia-1.35', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('gpu-nvidia-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expectClean(run);
  });

  it('passes with a Kueue serving only v1beta1 (discovers the served version)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, withAddons('bare-1.35', ['kueue-v1beta1.yaml']), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('kueue.x-k8s.io/v1beta1');
    expectClean(run);
  });

  it('passes with Volcano (bare-1.35 plus the Volcano add-on)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, withAddons('bare-1.35', ['volcano.yaml']), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('Volcano');
    expectClean(run);
  });

  it('fails when the gang scheduler starts part of a gang (fail-gang-partial-1.35)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('fail-gang-partial-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /reached (Running|Succeeded) although the quota has room for 2 of 3 pods: the gang was started partially/,
    );
    expectClean(run);
  });

  it('fails when Volcano binds part of a gang', async () => {
    const run = await runProbeOnScenario(
      gangSchedulingProbe,
      withAddons('bare-1.35', ['volcano.yaml'], { behaviours: { volcano: { partialAdmission: true } } }),
      fast,
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('started partially');
    expectClean(run);
  });

  it('fails (not N/A) on bare-1.35: no gang-scheduling solution', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('bare-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('no gang-scheduling solution found: neither Kueue');
    expectClean(run);
  });

  it('is an error when the API server refuses to create Jobs', async () => {
    const run = await runProbeOnScenario(
      gangSchedulingProbe,
      withAddons('gpu-nvidia-1.35', [], {
        faults: [{ verb: 'create', resource: 'jobs.batch', errorRate: 1, status: 500, message: 'etcd is down' }],
      }),
      fast,
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(run.result.checks.find((c) => c.verdict === 'error')?.reason).toContain('etcd is down');
    expectClean(run);
  });

  it('is an error, never passed, when Kueue creates no Workload for the gang that does not fit', async () => {
    // Kueue's CRDs are served but its controller does not run: the suspended job starts nothing.
    const quick = { probeOptions: { extra: { 'gang-scheduling.window-ms': '300', 'gang-scheduling.complete-ms': '300' } } };
    const run = await runProbeOnScenario(gangSchedulingProbe, withAddons('gpu-nvidia-1.35', [], { behaviours: { kueue: false } }), quick);
    expect(run.result.verdict, explain(run)).toBe('error');
    const negative = run.result.checks.find((c) => c.name === 'a 3-pod job with room for 2 starts no pod');
    expect(negative?.verdict, explain(run)).toBe('error');
    expect(negative?.reason).toContain('Kueue created no Workload for job gang-short');
    expectClean(run);
  });
});
