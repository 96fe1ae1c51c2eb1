import { describe, expect, it } from 'vitest';
import { secureAcceleratorAccess } from '../../src/probes/secure_accelerator_access.js';
import { runProbeOnScenario, type ProbeRun } from '../helpers/probe-harness.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

function expectClean(run: ProbeRun): void {
  expect(run.leaked).toBe(0);
  expect(run.leftInStore).toEqual([]);
}

function verdicts(run: ProbeRun): Record<string, string> {
  return Object.fromEntries(run.result.checks.map((c) => [c.name, c.verdict]));
}

const POSITIVE = 'a pod with an accelerator sees it';
const NEGATIVE = 'a pod without an accelerator sees none';
const CONTAINERS = 'only the container that references the accelerator sees it';
const DISTINCT = 'two pods with separate claims see different devices';

describe('secure_accelerator_access', () => {
  it('passes on kind with dra-example-driver: claimed GPUs visible, unclaimed ones not, distinct per pod', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccess, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(Object.values(verdicts(run))).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    const distinct = run.result.checks.find((c) => c.name === DISTINCT);
    expect(distinct?.reason).toMatch(/^\(same node\) saa-holder-a on (\S+) sees gpu-\d; saa-holder-b on \1 sees gpu-\d$/);
    expectClean(run);
  });

  it('passes with the nvidia device-plugin profile (extended resource, /dev/nvidia*)', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccess, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks[0]?.reason).toContain('nvidia.com/gpu limit');
    expect(run.result.checks.find((c) => c.name === POSITIVE)?.reason).toMatch(/sees nvidia\d/);
    expectClean(run);
  });

  it('passes on a 1.33 cluster, claiming through the beta DRA API', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccess, scenarioPath('kind-example-dra-1.33'), { accelerator: 'example' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expectClean(run);
  });

  it('fails at once, without waiting on pods, on a cluster without accelerators (bare-1.35)', async () => {
    const detected = await runProbeOnScenario(secureAcceleratorAccess, scenarioPath('bare-1.35'));
    expect(detected.result.verdict).toBe('failed');
    expect(detected.result.reason).toMatch(/^probe pods can ask for an accelerator: no accelerator on this cluster: no accelerator found/);
    expect(detected.result.durationMs).toBeLessThan(10_000);
    expectClean(detected);

    const given = await runProbeOnScenario(secureAcceleratorAccess, scenarioPath('bare-1.35'), { accelerator: 'example' });
    expect(given.result.verdict).toBe('failed');
    expect(given.result.reason).toContain('DeviceClass gpu.example.com (accelerator profile example) does not exist');
    expect(given.result.durationMs).toBeLessThan(10_000);
    expectClean(given);
  });

  it('fails when the runtime shows every device to every container', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccess, scenarioPath('fail-secure-access-isolation-1.35'));
    expect(run.result.verdict).toBe('failed');
    expect(verdicts(run)).toMatchObject({ [POSITIVE]: 'failed', [NEGATIVE]: 'failed', [CONTAINERS]: 'failed', [DISTINCT]: 'failed' });
    const negative = run.result.checks.find((c) => c.name === NEGATIVE)?.reason;
    expect(negative).toContain('a pod that asked for no accelerator sees gpu-0');
    expect(negative).toContain('devices are not isolated');
    expect(run.result.checks.find((c) => c.name === POSITIVE)?.reason).toContain('asked for one accelerator sees 8');
    expect(run.result.reason).toContain('asked for one accelerator sees 8');
    expectClean(run);
  });

  it('fails when two pods holding separate claims see the same device', async () => {
    const file = derivedScenario('saa-shared-device', '1.35', ['kind-example-dra-1.35'], {
      behaviours: { kubelet: { containers: [{ match: { pod: '^saa-holder-' }, devices: ['gpu-0'], running: true }] } },
    });
    const run = await runProbeOnScenario(secureAcceleratorAccess, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(verdicts(run)).toMatchObject({ [POSITIVE]: 'passed', [NEGATIVE]: 'passed', [DISTINCT]: 'failed' });
    expect(run.result.checks.find((c) => c.name === DISTINCT)?.reason).toContain('both see gpu-0');
    expectClean(run);
  });

  it('ends in error, never passed, when pod logs cannot be read', async () => {
    const file = derivedScenario('saa-logs-500', '1.35', ['kind-example-dra-1.35'], {
      faults: [{ verb: 'get', resource: 'pods/log', errorRate: 1, status: 500, message: 'kubelet unreachable' }],
    });
    const run = await runProbeOnScenario(secureAcceleratorAccess, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('error');
    expect(run.result.checks.filter((c) => c.verdict === 'passed').map((c) => c.name)).toEqual(['probe pods can ask for an accelerator']);
    expect(run.result.reason).toContain('500');
    expectClean(run);
  });
});
