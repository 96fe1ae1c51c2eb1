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
    expect(run.result.checks[1].name).toBe('the shared claim strategy works');
    expect(run.result.checks[1].reason).toMatch(
      /one DRA claim shared by several pods \(DeviceClass gpu\.example\.com, TimeSlicing config\).*gpu-sharing-sharer-a on (\S+) sees (gpu-\d); gpu-sharing-sharer-b on \1 sees \2$/,
    );
    expectClean(run);
  });

  it('shows time-slicing: more pods than physical GPUs hold a replica at once', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, scenarioPath('gpu-nvidia-sharing-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    // MIG through the device plugin is the stronger strategy and is the one shown; time-slicing is listed.
    expect(run.result.checks[0].reason).toContain(
      'MIG partitions through the device plugin (mixed strategy, nvidia.com/mig-1g.10gb on node mig-node-1)',
    );
    expect(run.result.checks[0].reason).toContain(
      'time-slicing through the device plugin (node ts-node-1: 1 physical GPU(s), 4 replicas each, 4 nvidia.com/gpu allocatable)',
    );
    expect(run.result.checks[1].reason).toMatch(
      /pod gpu-sharing-partition holds a partition on node mig-node-1 and sees MIG-[0-9a-f-]{36}/,
    );
    expectClean(run);
  });

  it('shows oversubscription where time-slicing is the only strategy', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, timeSlicingOnly(), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1].name).toBe('the oversubscription strategy works');
    expect(run.result.checks[1].reason).toMatch(
      /2 pods each hold one nvidia\.com\/gpu at once on node ts-node-1, which has 1 physical GPU\(s\); gpu-sharing-replica-0 and gpu-sharing-replica-1 share GPU GPU-[0-9a-f-]{36}$/,
    );
    expectClean(run);
  });

  // Models GPU Operator v25.10 GFD on a node whose plugin advertises 2 GPUs for 1 physical one
  // without time-slicing configured (replicas 1: each pod gets its own device), yet labelled
  // time-slicing: pods all run, but no two share a GPU.
  it('fails when the replica pods run but no two of them share a GPU', async () => {
    const file = derivedScenario('gpu-timeslicing-unshared-1.35', '1.35', [], {
      nodes: [
        { name: 'control-plane-1', role: 'control-plane' },
        {
          name: 'ts-node-1',
          labels: {
            'nvidia.com/gpu.present': 'true',
            'nvidia.com/gpu.product': 'NVIDIA-L4',
            'nvidia.com/gpu.count': '1',
            'nvidia.com/gpu.replicas': '1',
            'nvidia.com/gpu.sharing-strategy': 'time-slicing',
          },
          allocatable: { 'nvidia.com/gpu': '2' },
          taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
        },
      ],
    });
    const run = await runProbeOnScenario(gpuSharingProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toMatch(
      /2 pods hold one nvidia\.com\/gpu each on node ts-node-1, but no two see the same GPU \(gpu-sharing-replica-0 sees GPU-\S+; gpu-sharing-replica-1 sees GPU-\S+\)/,
    );
    expectClean(run);
  });

  // GFD labels time-slicing nodes with nvidia.com/gpu.count; a node without it (labels edited, an
  // older GFD) gives no count to prove oversubscription against, which must not be taken as 1.
  it('asks for manual evidence when a time-slicing node does not say how many physical GPUs it has', async () => {
    const file = derivedScenario('gpu-timeslicing-no-count-1.35', '1.35', [], {
      nodes: [
        { name: 'control-plane-1', role: 'control-plane' },
        {
          name: 'ts-node-1',
          labels: {
            'nvidia.com/gpu.present': 'true',
            'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3-SHARED',
            'nvidia.com/gpu.replicas': '4',
            'nvidia.com/gpu.sharing-strategy': 'time-slicing',
          },
          allocatable: { 'nvidia.com/gpu': '32' },
          taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
        },
      ],
    });
    const run = await runProbeOnScenario(gpuSharingProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain(
      'node ts-node-1 is labelled time-slicing but not nvidia.com/gpu.count, so how many pods prove oversubscription is unknown: attach',
    );
    expectClean(run);
  });

  // Models GPU Operator v25.10 with mig.strategy=single on an A100 whose MIG mode is off: GFD sets
  // the strategy label, but the product label names no MIG profile and nvidia.com/gpu are whole GPUs.
  it('does not count the single MIG strategy label alone as partitions', async () => {
    const file = derivedScenario('gpu-mig-single-off-1.35', '1.35', [], {
      nodes: [
        { name: 'control-plane-1', role: 'control-plane' },
        {
          name: 'a100-node-1',
          labels: {
            'nvidia.com/gpu.present': 'true',
            'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB',
            'nvidia.com/gpu.count': '1',
            'nvidia.com/mig.capable': 'true',
            'nvidia.com/mig.strategy': 'single',
          },
          allocatable: { 'nvidia.com/gpu': '1' },
          taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
        },
      ],
    });
    const run = await runProbeOnScenario(gpuSharingProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('no sharing strategy is offered');
    expectClean(run);
  });

  // The same node with MIG on (GFD's product label A100-SXM4-40GB-MIG-1g.5gb): a partition is shown.
  it('shows a MIG partition under the single strategy when GFD labels the MIG product', async () => {
    const file = derivedScenario('gpu-mig-single-on-1.35', '1.35', [], {
      nodes: [
        { name: 'control-plane-1', role: 'control-plane' },
        {
          name: 'a100-node-1',
          labels: {
            'nvidia.com/gpu.present': 'true',
            'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB-MIG-1g.5gb',
            'nvidia.com/gpu.count': '7',
            'nvidia.com/mig.capable': 'true',
            'nvidia.com/mig.strategy': 'single',
          },
          allocatable: { 'nvidia.com/gpu': '7' },
          taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
        },
      ],
    });
    const run = await runProbeOnScenario(gpuSharingProbe, file, { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1].reason).toMatch(
      /MIG partitions through the device plugin \(single strategy, nvidia\.com\/gpu on node a100-node-1\): pod gpu-sharing-partition holds a partition on node a100-node-1 and sees MIG-[0-9a-f-]{36}$/,
    );
    expectClean(run);
  });

  it('shows a MIG partition through DRA (DeviceClass mig.nvidia.com)', async () => {
    const file = derivedScenario('gpu-nvidia-dra-mig-1.35', '1.35', ['gpu-nvidia-1.35', 'addons/nvidia-dra-mig']);
    const run = await runProbeOnScenario(gpuSharingProbe, file, { accelerator: 'nvidia-dra' });
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[1].reason).toContain('MIG partitions through DRA (DeviceClass mig.nvidia.com: 1g.5gb)');
    expect(run.result.checks[1].reason).toContain('on node gpu-mig-node-1');
    expectClean(run);
  });

  it('fails when time-slicing is labelled but the device plugin offers no more GPUs than there are', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, timeSlicingOnly({ 'nvidia.com/gpu': '1' }), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.name).toBe('the oversubscription strategy works');
    expect(run.result.reason).toContain(
      'node ts-node-1 is labelled time-slicing with 4 replicas, but offers 1 nvidia.com/gpu for 1 physical GPU(s): no oversubscription',
    );
    expectClean(run);
  });

  it('fails on device-plugin GPUs that offer no sharing at all', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(run.result.reason).toContain('no sharing strategy is offered');
    expectClean(run);
  });

  // Models kind with dra-example-driver v0.2 given as a bare DeviceClass (--accelerator
  // deviceclass:gpu.example.com): the probe does not know that driver's sharing configuration, and
  // two pods on one claim would only show core DRA, so it asks for the driver's sharing evidence.
  it('asks for manual evidence for a DRA accelerator without a known sharing configuration', async () => {
    const run = await runProbeOnScenario(gpuSharingProbe, scenarioPath('kind-example-dra-1.35'), {
      accelerator: 'deviceclass:gpu.example.com',
    });
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain('the DRA accelerator (DeviceClass gpu.example.com) has no sharing configuration this probe knows');
    expectClean(run);
  });

  it('asks for manual evidence for a device plugin it cannot read', async () => {
    const file = derivedScenario('amd-gpu-1.35', '1.35', ['bare-1.35'], {
      nodes: [{ name: 'amd-node-1', labels: { 'amd.com/gpu.present': 'true' }, allocatable: { 'amd.com/gpu': '8' } }],
    });
    const run = await runProbeOnScenario(gpuSharingProbe, file);
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain(
      'accelerator amd.com/gpu is served by a device plugin whose sharing this probe cannot recognise: attach',
    );
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
