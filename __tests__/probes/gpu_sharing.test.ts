import { describe, expect, it } from 'vitest';
import { gpuSharingProbe } from '../../src/probes/gpu_sharing.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { expectClean, explain, failedCheck } from './addonRuns.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

describe('gpu_sharing', () => {
  it('shows a DRA claim shared by two pods with dra-example-driver (TimeSlicing config), both seeing the same GPU', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.level).toBe('SHOULD');
    expect(run.result.checks[1]!.name).toBe('the shared claim strategy works');
    expect(run.result.checks[1]!.reason).toMatch(/one DRA claim shared by several pods \(DeviceClass gpu\.example\.com, TimeSlicing config\).*gpu-sharing-sharer-a on (\S+) sees (gpu-\d); gpu-sharing-sharer-b on \1 sees \2$/);
    expectClean(run);
  });

  it('shows time-slicing: more pods than physical GPUs hold a replica at once', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, scenarioPath('gpu-nvidia-sharing-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    // MIG through the device plugin is the stronger strategy and is the one shown; time-slicing is listed.
    expect(run.result.checks[0]!.reason).toContain('MIG partitions through the device plugin (mixed strategy, nvidia.com/mig-1g.10gb on node mig-node-1)');
    expect(run.result.checks[0]!.reason).toContain('time-slicing through the device plugin (node ts-node-1: 1 physical GPU(s), 4 replicas each, 4 nvidia.com/gpu allocatable)');
    expect(run.result.checks[1]!.reason).toMatch(/pod gpu-sharing-partition holds a partition on node mig-node-1 and sees MIG-[0-9a-f-]{36}/);
    expectClean(run);
  });

  it('shows oversubscription where time-slicing is the only strategy', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, timeSlicingOnly(), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1]!.name).toBe('the oversubscription strategy works');
    expect(run.result.checks[1]!.reason).toContain('2 pods each hold one nvidia.com/gpu at once on node ts-node-1, which has 1 physical GPU(s)');
    expectClean(run);
  });

  it('shows a MIG partition through DRA (DeviceClass mig.nvidia.com)', async () => {
    const file = derivedScenario('gpu-nvidia-dra-mig-1.35', '1.35', ['gpu-nvidia-1.35', 'addons/nvidia-dra-mig']);
    const run = await runProbeOnScenario(gpuSharingProbe, file, { accelerator: 'nvidia-dra' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1]!.reason).toContain('MIG partitions through DRA (DeviceClass mig.nvidia.com: 1g.5gb)');
    expect(run.result.checks[1]!.reason).toContain('on node gpu-mig-node-1');
    expectClean(run);
  });

  it('fails when time-slicing is labelled but the device plugin offers no more GPUs than there are', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, timeSlicingOnly({ 'nvidia.com/gpu': '1' }), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('the oversubscription strategy works');
    expect(run.result.reason).toContain('node ts-node-1 is labelled time-slicing with 4 replicas, but offers 1 nvidia.com/gpu for 1 physical GPU(s): no oversubscription');
    expectClean(run);
  });

  it('fails on device-plugin GPUs that offer no sharing at all', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('no sharing strategy is offered');
    expectClean(run);
  });

  it('asks for manual evidence for a device plugin it cannot read', async () => {
    const file = derivedScenario('amd-gpu-1.35', '1.35', ['bare-1.35'], { nodes: [{ name: 'amd-node-1', labels: { 'amd.com/gpu.present': 'true' }, allocatable: { 'amd.com/gpu': '8' } }] });
    const run = await runProbeOnScenario(gpuSharingProbe, file);
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain('accelerator amd.com/gpu is served by a device plugin whose sharing this probe cannot recognise: attach');
    expectClean(run);
  });

  it('is not applicable without accelerators', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, scenarioPath('bare-1.35'));
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expectClean(run);
  });
});

/** The sharing scenario without its MIG node (time-slicing alone), optionally with other allocatable. */
function timeSlicingOnly(allocatable: Record<string, string> = { 'nvidia.com/gpu': '4' }): string {
  return derivedScenario(`gpu-timeslicing-${allocatable['nvidia.com/gpu']}-1.35`, '1.35', [], {
    nodes: [
      { name: 'control-plane-1', role: 'control-plane' },
      {
        name: 'ts-node-1',
        labels: {
          'nvidia.com/gpu.present': 'true',
          'nvidia.com/gpu.product': 'NVIDIA-L4-SHARED',
          'nvidia.com/gpu.count': '1',
          'nvidia.com/gpu.replicas': '4',
          'nvidia.com/gpu.sharing-strategy': 'time-slicing',
        },
        allocatable,
        taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
      },
    ],
  });
}
