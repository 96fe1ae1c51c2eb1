import { describe, expect, it } from 'vitest';
import { virtualizedAcceleratorProbe } from '../../src/probes/virtualized_accelerator.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain, failedCheck } from './addonRuns.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

describe('virtualized_accelerator', () => {
  it('passes on vGPU nodes: the guest advertises its vGPU profile and host driver, and a pod gets the vGPU', async () => {
    const run = await runProbeOnScenario(virtualizedAcceleratorProbe, scenarioPath('gpu-nvidia-vgpu-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks[0].reason).toBe(
      'node vgpu-guest-1 runs on vGPU GRID-A100-4C (host driver 580.126.08), offered as 1 nvidia.com/gpu; node vgpu-host-1 offers vGPU type nvidia.com/GRID_T4-16Q (4 allocatable) to virtual machines',
    );
    expect(run.result.checks[1].reason).toMatch(
      /^pod vaccel-consumer on node vgpu-guest-1 got vGPU GRID-A100-4C as nvidia\.com\/gpu and sees GPU-[0-9a-f-]+$/,
    );
    expectClean(run);
  });

  it('passes on a KubeVirt vGPU host alone: a pod holds one vGPU of the type', async () => {
    const file = derivedScenario('kubevirt-vgpu-1.35', '1.35', [], {
      nodes: [
        { name: 'control-plane-1', role: 'control-plane' },
        { name: 'vgpu-host-1', labels: { 'nvidia.com/gpu.workload.config': 'vm-vgpu' }, allocatable: { 'nvidia.com/GRID_T4-16Q': '4' } },
      ],
    });
    const run = await runProbeOnScenario(virtualizedAcceleratorProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1].reason).toBe(
      'pod vaccel-consumer on node vgpu-host-1 holds one nvidia.com/GRID_T4-16Q (a vGPU type for virtual machines) and sees vfio/40',
    );
    expectClean(run);
  });

  it('fails when a vGPU guest does not advertise its profile', async () => {
    const file = derivedScenario('vgpu-no-profile-1.35', '1.35', [], {
      nodes: [
        { name: 'control-plane-1', role: 'control-plane' },
        {
          name: 'vgpu-guest-1',
          labels: {
            'nvidia.com/gpu.present': 'true',
            'nvidia.com/vgpu.present': 'true',
            'nvidia.com/vgpu.host-driver-version': '580.126.08',
          },
          allocatable: { 'nvidia.com/gpu': '1' },
        },
      ],
    });
    const run = await runProbeOnScenario(virtualizedAcceleratorProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('virtual accelerators are advertised with their profile');
    expect(run.result.reason).toContain('virtual accelerators without a profile: node vgpu-guest-1 runs on vGPU (no profile advertised)');
    expectClean(run);
  });

  it('fails when vGPUs are advertised but none can be allocated (the vGPU manager created no devices)', async () => {
    const file = derivedScenario('vgpu-none-allocatable-1.35', '1.35', [], {
      nodes: [
        { name: 'control-plane-1', role: 'control-plane' },
        { name: 'vgpu-host-1', labels: { 'nvidia.com/gpu.workload.config': 'vm-vgpu' }, allocatable: { 'nvidia.com/GRID_T4-16Q': '0' } },
      ],
    });
    const run = await runProbeOnScenario(virtualizedAcceleratorProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('none is allocatable, so no pod can get one');
    expectClean(run);
  });

  it('is not applicable on GPUs without virtualisation, saying where it looked', async () => {
    const run = await runProbeOnScenario(virtualizedAcceleratorProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expect(run.result.reason).toContain('no node labelled nvidia.com/vgpu.present=true');
    expectClean(run);
  });

  it('is not applicable with dra-example-driver on kind', async () => {
    const run = await runProbeOnScenario(virtualizedAcceleratorProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expectClean(run);
  });
});
