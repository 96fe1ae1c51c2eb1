import { describe, expect, it } from 'vitest';
import { workloadSandboxingProbe } from '../../src/probes/workload_sandboxing.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain, failedCheck } from './addonRuns.js';
import { kindWithoutShouldAddons, scenarioPath } from './scenarioFile.js';

// Each test states the sandbox it models, on kind without the PR path's own gVisor (tested in should-suite).
const kind137 = (name: string, addons: string[], extra: Record<string, unknown> = {}) =>
  kindWithoutShouldAddons(
    name,
    '1.37',
    addons.map((a) => `addons/${a}`),
    extra,
  );

describe('workload_sandboxing', () => {
  it("passes with gVisor: the runsc pod sees the Sentry's kernel, a plain pod on its node the host's", async () => {
    const run = await runProbeOnScenario(workloadSandboxingProbe, kind137('kind-gvisor-1.37', ['gvisor']));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks[0].reason).toBe('RuntimeClass gvisor (handler runsc)');
    expect(run.result.checks[1].reason).toMatch(
      /^pod sandboxed-probe ran with handler runsc on node ai-conformance-worker2?; it sees kernel 4\.4\.0 /,
    );
    expect(run.result.checks[2].reason).toMatch(
      /the kernel release, kernel version, boot id differ: sandboxed: 4\.4\.0 .*; plain pod: 6\.8\.0 /,
    );
    expectClean(run);
  });

  it('passes with Kata Containers: the RuntimeClass sends the pod to a kata node, where a plain pod sees the host kernel', async () => {
    const run = await runProbeOnScenario(workloadSandboxingProbe, kind137('kind-kata-1.37', ['kata']));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1].reason).toContain('ran with handler kata-qemu on node kata-node-1; it sees kernel 6.12.47');
    expect(run.result.checks[2].reason).toContain('on node kata-node-1 the kernel release, kernel version, boot id differ');
    expectClean(run);
  });

  it('fails when the sandbox RuntimeClass runs on the host kernel (handler runc)', async () => {
    const run = await runProbeOnScenario(
      workloadSandboxingProbe,
      kind137('kind-fake-sandbox-1.37', [], {
        objects: [{ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'kata' }, handler: 'runc' }],
      }),
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('the sandboxed pod sees another kernel than a plain pod on its node');
    expect(run.result.reason).toMatch(
      /RuntimeClass kata \(handler runc\) shares the host kernel: a pod using it and a plain pod on node \S+ see the same kernel release, kernel version, boot id/,
    );
    expectClean(run);
  });

  it('fails when no node has the sandbox runtime: the pod cannot create its sandbox', async () => {
    const run = await runProbeOnScenario(
      workloadSandboxingProbe,
      kind137('kind-gvisor-no-runsc-1.37', [], {
        objects: [{ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'gvisor' }, handler: 'runsc' }],
      }),
      { probeOptions: { extra: { 'workload-sandboxing.pod-ms': '1000' } } },
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain(
      'pod sandboxed-probe cannot start: Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "runsc" is configured',
    );
    expectClean(run);
  });

  it('fails without a sandboxing RuntimeClass, naming the RuntimeClasses it saw and the option to name one', async () => {
    const run = await runProbeOnScenario(
      workloadSandboxingProbe,
      kind137('kind-nvidia-rc-1.37', [], {
        objects: [{ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'nvidia' }, handler: 'nvidia' }],
      }),
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain(
      'RuntimeClasses: RuntimeClass nvidia (handler nvidia). Name another sandboxing RuntimeClass with --probe-option workload-sandboxing.runtime-class=NAME',
    );
    expectClean(run);
  });

  it('uses the RuntimeClass named with --probe-option, and fails clearly when it does not exist', async () => {
    const run = await runProbeOnScenario(workloadSandboxingProbe, kind137('kind-gvisor-named-1.37', ['gvisor']), {
      probeOptions: { extra: { 'workload-sandboxing.runtime-class': 'secure' } },
    });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain(
      'RuntimeClass secure (given with --probe-option workload-sandboxing.runtime-class) does not exist; RuntimeClasses: RuntimeClass gvisor (handler runsc)',
    );
    expectClean(run);
  });

  it('is not run before 1.37, where the requirement does not exist', async () => {
    await expect(runProbeOnScenario(workloadSandboxingProbe, scenarioPath('kind-example-dra-1.36'))).rejects.toThrow(
      'is not a requirement of 1.36',
    );
  });
});
