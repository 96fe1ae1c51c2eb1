// cluster_autoscaling end to end: N/A without an autoscaler, manual without consent (with the
// exact command), and with --allow-node-scaling: a node is added for the pending pod and
// removed when idle; an autoscaler that never scales fails; API faults are errors.
import { describe, expect, it } from 'vitest';
import { clusterAutoscalingProbe } from '../../src/probes/cluster_autoscaling.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

const scaling = {
  probeOptions: {
    allowNodeScaling: true,
    extra: {
      'cluster-autoscaling.max-pods': '40',
      'cluster-autoscaling.place-ms': '3000',
      'cluster-autoscaling.scale-up-ms': '1500',
      'cluster-autoscaling.scale-down-ms': '3000',
    },
  },
};

describe('cluster_autoscaling', () => {
  it('adds and removes an accelerator node on gpu-nvidia-1.35 (device plugin: the kwok provider scales extended resources)', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, withAddons('gpu-nvidia-1.35', ['cluster-autoscaler.yaml']), {
      ...scaling,
      accelerator: 'nvidia',
    });
    expect(run.result.verdict, explain(run)).toBe('passed');
    const reasons = run.result.checks.map((c) => c.reason);
    expect(reasons[1]).toMatch(
      /^node ca-gpu-1 \(node group ai-accelerators, instance type fake-gpu-1x, nvidia\.com\/gpu: 1\) created .* Running on it$/,
    );
    expect(reasons[2]).toMatch(/^node ca-gpu-1 removed /);
    expect(run.cluster.store.get('nodes', undefined, 'ca-gpu-1')).toBeUndefined();
    expectClean(run);
  });

  it('adds and removes an accelerator node on kind-example-dra-1.35 (DRA claims)', async () => {
    const run = await runProbeOnScenario(
      clusterAutoscalingProbe,
      withAddons('kind-example-dra-1.35', ['cluster-autoscaler.yaml']),
      scaling,
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    expectClean(run);
  });

  it('is manual without --allow-node-scaling, naming the command to run', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, withAddons('gpu-nvidia-1.35', ['cluster-autoscaler.yaml']), {
      accelerator: 'nvidia',
    });
    expect(run.result.verdict, explain(run)).toBe('manual');
    expect(run.result.reason).toContain(
      'ai-conformance run --only cluster_autoscaling --allow-node-scaling --accelerator nvidia --kubernetes-version 1.35',
    );
    expectClean(run);
  });

  it('is not applicable on bare-1.35, with a note', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath('bare-1.35'), scaling);
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expect(run.result.reason).toContain('no cluster autoscaler detected');
    expectClean(run);
  });

  it('fails when the autoscaler never adds a node (fail-cluster-autoscaling-no-scaleup-1.35)', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath('fail-cluster-autoscaling-no-scaleup-1.35'), scaling);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(/^pod scale-\d+ stayed Pending for 1.5s: no node was added$/);
    expectClean(run);
  });

  it('is an error when pods cannot be created', async () => {
    const run = await runProbeOnScenario(
      clusterAutoscalingProbe,
      withAddons('gpu-nvidia-1.35', ['cluster-autoscaler.yaml'], {
        faults: [{ verb: 'create', resource: 'pods', errorRate: 1, status: 500, message: 'etcd is down' }],
      }),
      scaling,
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    expectClean(run);
  });
});

describe('cluster_autoscaling on real autoscaler shapes', () => {
  it('is not applicable when only a stale status ConfigMap is left and no autoscaler runs (ca-stale-configmap-1.35)', async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath('ca-stale-configmap-1.35'), scaling);
    expect(run.result.verdict, explain(run)).toBe('not-applicable');
    expect(run.result.reason).toMatch(
      /ConfigMap kube-system\/cluster-autoscaler-status is stale \(health Healthy, written \d+ days ago\) and no cluster-autoscaler pod runs in kube-system: left behind/,
    );
    expectClean(run);
  });

  it.each([
    [
      'ca-openshift-1.35',
      /^cluster-autoscaler \(ConfigMap openshift-machine-api\/cluster-autoscaler-status, health Healthy, written \d+s ago\)$/,
      /^node ocp-gpu-worker-us-east-1a-1 \(node group openshift-machine-api\/ocp-gpu-worker-us-east-1a, instance type g6\.xlarge, nvidia\.com\/gpu: 1\) created/,
    ],
    [
      'ca-cluster-api-1.35',
      /^cluster-autoscaler \(ConfigMap cluster-autoscaler\/cluster-autoscaler-status/,
      /^node prod-gpu-md-0-1 \(node group MachineDeployment\/default\/prod-gpu-md-0, nvidia\.com\/gpu: 1\) created/,
    ],
  ])('finds the autoscaler outside kube-system and scales it (%s)', async (scenario, detected, added) => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath(scenario), scaling);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(
      run.result.observations
        .map((o) => o.message)
        .find((m) => m.startsWith('autoscaler: '))
        ?.slice('autoscaler: '.length),
    ).toMatch(detected);
    expect(run.result.checks[1]?.reason).toMatch(added);
    expectClean(run);
  });

  it('detects Karpenter by its NodePools and OpenShift by its ClusterAutoscaler, and asks for consent with a valid --accelerator', async () => {
    const karpenter = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath('ca-karpenter-1.35'));
    expect(karpenter.result.verdict, explain(karpenter)).toBe('manual');
    expect(karpenter.result.reason).toContain('Karpenter (karpenter.sh/v1 NodePools: gpu) detected');
    expect(karpenter.result.reason).toContain('--accelerator nvidia ');
    const capi = await runProbeOnScenario(
      clusterAutoscalingProbe,
      derivedScenario('capi-elsewhere', '1.35', ['ca-cluster-api-1.35'], { behaviours: { 'cluster-autoscaler': false } }),
    );
    expect(capi.result.verdict, explain(capi)).toBe('manual');
    expect(capi.result.reason).toContain('cluster-api autoscaler node groups: MachineDeployment default/prod-gpu-md-0 (0-2) detected');
  });

  it("scales with the node group's own mechanism when it differs from the static nodes' (device plugin static, DRA group)", async () => {
    const run = await runProbeOnScenario(clusterAutoscalingProbe, scenarioPath('ca-dra-group-1.35'), scaling);
    expect(run.result.verdict, explain(run)).toBe('passed');
    const grew = run.result.checks[1]?.reason ?? '';
    expect(grew).toMatch(
      /^node gke-gpu-dra-pool-1 \(node group gpu-dra-pool, 1 gpu\.nvidia\.com device\(s\)\) created .*; scale-m1-0 Running on it\./,
    );
    expect(grew).toContain(
      "It scaled through a claim on DeviceClass gpu.nvidia.com, the node group's own mechanism: for a nvidia.com/gpu limit (pod scale-1): pod didn't trigger scale-up: 1 Insufficient nvidia.com/gpu",
    );
    expectClean(run);
  });

  it('fails, saying why, when no node group takes the pending pod', async () => {
    const file = derivedScenario('ca-wrong-group', '1.35', ['ca-dra-group-1.35'], {
      objects: [],
      discovery: { disable: [] },
      behaviours: {
        'cluster-autoscaler': { nodeGroups: [{ name: 'amd-pool', namePrefix: 'amd-', maxSize: 2, allocatable: { 'amd.com/gpu': '1' } }] },
      },
    });
    const run = await runProbeOnScenario(clusterAutoscalingProbe, file, scaling);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /^no node group of the autoscaler takes a pending accelerator pod: for a nvidia\.com\/gpu limit \(pod scale-1\): pod didn't trigger scale-up: 1 Insufficient nvidia\.com\/gpu; for a claim on DeviceClass gpu\.nvidia\.com \(pod scale-m1-0\): pod didn't trigger scale-up: 1 cannot allocate all claims/,
    );
    expectClean(run);
  });
});
