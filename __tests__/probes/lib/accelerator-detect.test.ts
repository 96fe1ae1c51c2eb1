// Accelerator detection on the platform shapes it must get right, at bounded API cost: labelled
// and unlabelled device-plugin nodes, MIG, other vendors, DRA beside device plugins, taints read
// from the nodes, and nothing at all.
import { describe, expect, it } from 'vitest';
import { startFakeCluster, type FakeCluster } from '../../harness/index.js';
import { KubeSession } from '../../../src/kube/client.js';
import { detectProfile, profileFlag } from '../../../src/probes/profiles.js';
import type { AcceleratorProfile } from '../../../src/probes/types.js';
import { derivedScenario, scenarioPath } from '../scenarioFile.js';

async function detect(scenario: string): Promise<{ profile: AcceleratorProfile; requests: number; cluster: FakeCluster }> {
  const cluster = await startFakeCluster({ scenario, tls: false });
  try {
    const kube = new KubeSession(cluster.kubeConfig(), 'rdetect').forProbe({ probeId: 'accelerator-detection', namespace: 'default' });
    cluster.resetStats();
    const profile = await detectProfile(kube);
    return { profile, requests: cluster.stats().requests, cluster };
  } finally {
    await cluster.stop();
  }
}

const summary = (p: AcceleratorProfile) => ({
  name: p.name,
  mechanism: p.mechanism,
  resourceName: p.resourceName,
  deviceClassName: p.deviceClassName,
});

describe('accelerator detection', () => {
  it('finds both mechanisms of a mixed cluster, DRA first, and reads the tolerations from the nodes', async () => {
    const { profile } = await detect(scenarioPath('gpu-nvidia-1.35'));
    expect(summary(profile)).toMatchObject({ name: 'nvidia-dra', mechanism: 'dra', deviceClassName: 'gpu.nvidia.com' });
    expect(profile.detail).toContain('DRA DeviceClass gpu.nvidia.com (driver gpu.nvidia.com, ResourceSlices on node gpu-dra-node-1)');
    expect(profile.detail).toContain('also device plugin resource nvidia.com/gpu on node gpu-node-1 (label nvidia.com/gpu.present=true)');
    expect(profile.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(profile.alternatives?.map(summary)).toEqual([
      { name: 'nvidia', mechanism: 'extended-resource', resourceName: 'nvidia.com/gpu', deviceClassName: undefined },
    ]);
  });

  it('finds unlabelled GPU nodes that sort after 1,200 CPU nodes by a paged scan, and tolerates the taint they carry', async () => {
    const { profile, requests } = await detect(scenarioPath('gpu-unlabelled-1.35'));
    expect(summary(profile)).toMatchObject({ name: 'nvidia', resourceName: 'nvidia.com/gpu' });
    expect(profile.detail).toMatch(/^device plugin resource nvidia\.com\/gpu on node gpu-worker-1 \(found by scanning \d+ node\(s\)\)$/);
    expect(profile.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }]);
    // Discovery, DeviceClasses, one request per label, then pages of 500 up to the GPU nodes.
    expect(requests).toBeLessThan(25);
  });

  it('finds MIG instances of the mixed strategy (nvidia.com/mig-<profile>)', async () => {
    const { profile } = await detect(scenarioPath('gpu-mig-mixed-1.35'));
    expect(summary(profile)).toMatchObject({ name: 'custom', mechanism: 'extended-resource', resourceName: 'nvidia.com/mig-1g.5gb' });
    expect(profileFlag(profile)).toBe('resource:nvidia.com/mig-1g.5gb');
    expect(profile.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(profile.alternatives?.map((p) => p.resourceName)).toEqual(['nvidia.com/mig-2g.10gb', 'nvidia.com/mig-3g.20gb']);
  });

  it.each([
    ['gpu-amd-1.35', 'amd.com/gpu', 'amd.com/gpu', 'feature.node.kubernetes.io/amd-gpu=true'],
    ['gpu-tpu-gke-1.35', 'google.com/tpu', 'google.com/tpu', 'cloud.google.com/gke-tpu-accelerator'],
  ])("finds other vendors' device plugins (%s)", async (scenario, resource, taint, label) => {
    const { profile } = await detect(scenarioPath(scenario));
    expect(summary(profile)).toMatchObject({ name: 'custom', resourceName: resource });
    expect(profile.detail).toContain(`(label ${label})`);
    expect(profile.tolerations).toEqual([{ key: taint, operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('finds AWS Neuron nodes by their instance type, at the same cost on 3 and 5,000 nodes (gpu-neuron-trn1-1.35)', async () => {
    const small = await detect(scenarioPath('gpu-neuron-trn1-1.35'));
    expect(summary(small.profile)).toMatchObject({ name: 'custom', resourceName: 'aws.amazon.com/neuron' });
    expect(small.profile.detail).toContain('(label node.kubernetes.io/instance-type in (trn1.2xlarge,');
    expect(small.profile.tolerations).toEqual([{ key: 'aws.amazon.com/neuron', operator: 'Exists', effect: 'NoSchedule' }]);
    const large = await detect(
      derivedScenario('neuron-5000', '1.35', ['gpu-neuron-trn1-1.35'], { generate: { nodes: { count: 5000, namePrefix: 'aaa-cpu-' } } }),
    );
    expect(large.profile.detail).toBe(small.profile.detail);
    expect(large.requests).toBe(small.requests);
  });

  it('finds Intel GPUs on NFD-labelled nodes, without guessing a toleration the nodes do not need', async () => {
    const file = derivedScenario('intel-xe', '1.35', ['bare-1.35'], {
      nodes: [{ name: 'arc-node-1', labels: { 'intel.feature.node.kubernetes.io/gpu': 'true' }, allocatable: { 'gpu.intel.com/xe': '2' } }],
    });
    const { profile } = await detect(file);
    expect(summary(profile)).toMatchObject({ resourceName: 'gpu.intel.com/xe' });
    expect(profile.tolerations).toEqual([]);
  });

  it('says what it looked at when there is no accelerator, and costs the same on 3 and 5,000 nodes when labels find the GPUs', async () => {
    const none = await detect(
      derivedScenario('dc-without-slices', '1.35', ['bare-1.35'], {
        objects: [
          {
            apiVersion: 'resource.k8s.io/v1',
            kind: 'DeviceClass',
            metadata: { name: 'gpu.nvidia.com' },
            spec: { selectors: [{ cel: { expression: "device.driver == 'gpu.nvidia.com'" } }] },
          },
        ],
      }),
    );
    expect(none.profile.available).toBe(false);
    expect(none.profile.detail).toMatch(
      /^no accelerator found \(DeviceClass\(es\) gpu\.nvidia\.com without published devices; no accelerator node label, none of \d+ node\(s\) has an accelerator resource\)/,
    );

    const small = await detect(scenarioPath('gpu-nvidia-1.35'));
    const large = await detect(
      derivedScenario('gpu-nvidia-5000', '1.35', ['gpu-nvidia-1.35'], { generate: { nodes: { count: 5000, namePrefix: 'aaa-cpu-' } } }),
    );
    expect(large.profile.detail).toBe(small.profile.detail);
    expect(large.requests).toBe(small.requests);
  });
});
