import { describe, expect, it } from 'vitest';
import { driverRuntimeManagementProbe, kernelModuleVersion } from '../../src/probes/driver_runtime_management.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain, failedCheck } from './addonRuns.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

describe('driver_runtime_management', () => {
  it('passes with dra-example-driver: driverVersion on every device, one version per pool, the pod gets a device of that version', async () => {
    const run = await runProbeOnScenario(driverRuntimeManagementProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks[0].reason).toContain(
      '2 node(s) advertise it through DRA attribute driverVersion: 1.0.0 on ai-conformance-worker, ai-conformance-worker2',
    );
    expect(run.result.checks[3].reason).toMatch(
      /allocated from device gpu-\d that advertises driver 1\.0\.0; driver gpu\.example\.com exposes no version inside containers/,
    );
    expectClean(run);
  });

  it('passes on device-plugin GPU nodes: GFD labels advertise the driver, and the container reads the same kernel module version', async () => {
    const run = await runProbeOnScenario(driverRuntimeManagementProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain(
      'label nvidia.com/cuda.driver-version.full and nvidia.com/cuda.runtime-version.full: 580.95.05 (runtime 13.0)',
    );
    expect(run.result.checks[1].reason).toContain('nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3: 580.95.05 (runtime 13.0) on 2 node(s)');
    expect(run.result.checks[3].reason).toMatch(/sees kernel module 580\.95\.05, as advertised/);
    expect(run.result.checks[3].reason).toContain('containerd://');
    expectClean(run);
  });

  it("passes with NVIDIA's DRA driver, comparing the container's kernel module with the allocated device's driverVersion", async () => {
    const run = await runProbeOnScenario(driverRuntimeManagementProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia-dra' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('DRA attribute driverVersion');
    expect(run.result.checks[3].reason).toContain('sees kernel module 580.126.9, as advertised');
    expectClean(run);
  });

  it('fails when the loaded driver is not the one the node labels advertise (stale labels after a driver change)', async () => {
    const file = derivedScenario('driver-stale-labels-1.35', '1.35', ['gpu-nvidia-1.35'], {
      behaviours: { kubelet: { driverVersions: { 'gpu-node-1': '570.86.15', 'gpu-node-2': '570.86.15' } } },
    });
    const run = await runProbeOnScenario(driverRuntimeManagementProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('a pod with an accelerator sees the driver version its node advertises');
    expect(run.result.reason).toMatch(
      /advertises driver 580\.95\.05 \(label nvidia\.com\/cuda\.driver-version\.full.*\), but the container given (nvidia\d|GPU-[0-9a-f-]{36}) runs kernel module 570\.86\.15/,
    );
    expectClean(run);
  });

  it('fails when one pool runs two driver versions, naming the nodes', async () => {
    const run = await runProbeOnScenario(driverRuntimeManagementProbe, scenarioPath('fail-driver-runtime-drift-1.35'), {
      accelerator: 'nvidia',
    });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('the nodes of a pool run one driver version');
    expect(run.result.reason).toContain(
      'cloud.google.com/gke-nodepool=gpu-pool runs more than one driver: 580.95.05 (runtime 13.0) on gpu-node-1; 570.86.15 (runtime 12.8) on gpu-node-2',
    );
    expectClean(run);
  });

  it('fails when GPU nodes advertise no driver version at all', async () => {
    const run = await runProbeOnScenario(driverRuntimeManagementProbe, scenarioPath('fail-driver-runtime-unadvertised-1.35'), {
      accelerator: 'nvidia',
    });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain(
      'no accelerator node advertises a driver version (looked for node label nvidia.com/cuda.driver-version.full)',
    );
    expectClean(run);
  });

  it('is not applicable on a cluster without accelerators', async () => {
    const run = await runProbeOnScenario(driverRuntimeManagementProbe, scenarioPath('bare-1.35'));
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expect(run.result.reason).toContain('no accelerator on this cluster');
    expectClean(run);
  });

  it('reads the NVRM line of both proprietary and open kernel modules', () => {
    expect(kernelModuleVersion('NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024')).toBe(
      '550.54.15',
    );
    expect(kernelModuleVersion('NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build')).toBe('580.95.05');
    expect(kernelModuleVersion('')).toBeUndefined();
  });
});
