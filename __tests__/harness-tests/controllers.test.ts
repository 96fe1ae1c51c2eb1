// The core simulated controllers: scheduler, kubelet, DRA claims, Jobs, Deployments.
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCluster, KObj, Scenario } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';
import { raw, waitForObject } from './helpers.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const phase = (p: KObj): string => (p.status as { phase?: string } | undefined)?.phase ?? '';
const podDone =
  (name: string) =>
  (p: KObj): boolean =>
    p.metadata.name === name && (phase(p) === 'Succeeded' || phase(p) === 'Failed');
const resultOf = async (c: FakeCluster, ns: string, pod: string, container?: string): Promise<string[]> => {
  const text = (await raw(c, 'GET', `/api/v1/namespaces/${ns}/pods/${pod}/log${container ? `?container=${container}` : ''}`)).text;
  const line = text.split('\n').find((l) => l.startsWith('AI_CONFORMANCE_RESULT '));
  return (JSON.parse(line?.slice('AI_CONFORMANCE_RESULT '.length) ?? '{"devices":[]}') as { devices: string[] }).devices;
};
const NVIDIA_SCRIPT = 'd=; for f in /dev/nvidia[0-9]*; do add; done; echo "AI_CONFORMANCE_RESULT {\\"devices\\":[$d]}"';
const EXAMPLE_SCRIPT = "for v in $(env | sed -n 's/^GPU_DEVICE_[0-9][0-9]*=//p' | sort); do add; done; echo AI_CONFORMANCE_RESULT";

function gpuPod(name: string, gpus: number, tolerate = true): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      tolerations: tolerate ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] : [],
      containers: [
        {
          name: 'c',
          image: 'busybox',
          command: ['sh', '-c', `${NVIDIA_SCRIPT}\nexec sleep 3600`],
          resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
        },
      ],
    },
  };
}

describe('scheduler and kubelet with device-plugin GPUs (gpu-nvidia-1.35)', () => {
  it('schedules onto tolerated GPU nodes and gives pods on a node distinct /dev/nvidia devices', async () => {
    // The scheduler alone: no autoscaler adding a node for the pod that must stay Unschedulable.
    cluster = await startFakeCluster({
      scenario: {
        name: 'gpu',
        kubernetesVersion: '1.35',
        include: ['gpu-nvidia-1.35.yaml'],
        nodes: [],
        behaviours: { 'cluster-autoscaler': false },
      },
      tls: false,
    });
    const c = cluster;
    // Fill gpu-node-1/2 (8 GPUs each): 4 pods of 4 GPUs.
    for (const n of ['a', 'b', 'c', 'd']) await raw(c, 'POST', '/api/v1/namespaces/default/pods', gpuPod(`gpu-${n}`, 4));
    const running = await Promise.all(
      ['a', 'b', 'c', 'd'].map((n) => waitForObject(c, 'pods', (p) => p.metadata.name === `gpu-${n}` && phase(p) === 'Running')),
    );
    const byNode = new Map<string, string[]>();
    for (const p of running) {
      const node = (p.spec as { nodeName: string }).nodeName;
      expect(['gpu-node-1', 'gpu-node-2']).toContain(node);
      const devices = await resultOf(c, 'default', p.metadata.name ?? '');
      expect(devices).toHaveLength(4);
      byNode.set(node, [...(byNode.get(node) ?? []), ...devices]);
    }
    for (const devices of byNode.values()) expect(new Set(devices).size).toBe(devices.length);

    // A fifth GPU pod does not fit; a pod without the toleration cannot use the GPU nodes.
    await raw(c, 'POST', '/api/v1/namespaces/default/pods', gpuPod('gpu-e', 1));
    const stuck = await waitForObject(c, 'pods', (p) => p.metadata.name === 'gpu-e' && JSON.stringify(p.status).includes('Unschedulable'));
    expect(JSON.stringify(stuck.status)).toContain('Insufficient nvidia.com/gpu');
    await raw(c, 'POST', '/api/v1/namespaces/default/pods', gpuPod('gpu-f', 1, false));
    const untolerated = await waitForObject(
      c,
      'pods',
      (p) => p.metadata.name === 'gpu-f' && JSON.stringify(p.status).includes('Unschedulable'),
    );
    expect(JSON.stringify(untolerated.status)).toMatch(/untolerated taint \{nvidia.com\/gpu: present\}/);
    const events = (await raw(c, 'GET', '/api/v1/namespaces/default/events?fieldSelector=reason%3DFailedScheduling')).json
      .items as unknown[];
    expect(events.length).toBeGreaterThan(0);

    // Deleting a holder frees its GPUs: the pending pod gets scheduled.
    await raw(c, 'DELETE', '/api/v1/namespaces/default/pods/gpu-a');
    const freed = await waitForObject(c, 'pods', (p) => p.metadata.name === 'gpu-e' && phase(p) === 'Running');
    expect((freed.spec as { nodeName: string }).nodeName).toMatch(/^gpu-node-/);
  });

  it('with kubelet.breakIsolation every container sees every GPU of its node', async () => {
    cluster = await startFakeCluster({
      scenario: {
        name: 'gpu-broken',
        kubernetesVersion: '1.35',
        include: ['gpu-nvidia-1.35.yaml'],
        behaviours: { kubelet: { breakIsolation: true } },
      },
      tls: false,
    });
    await raw(cluster, 'POST', '/api/v1/namespaces/default/pods', gpuPod('leaky', 1));
    await waitForObject(cluster, 'pods', (p) => p.metadata.name === 'leaky' && phase(p) === 'Running');
    expect(await resultOf(cluster, 'default', 'leaky')).toHaveLength(8);
  });
});

describe('DRA with dra-example-driver (kind-example-dra-1.35)', () => {
  const claimPod = (name: string, containers: { name: string; claims: string[] }[]): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'one-gpu' }],
      containers: containers.map((c) => ({
        name: c.name,
        image: 'busybox',
        command: ['sh', '-c', EXAMPLE_SCRIPT],
        resources: { claims: c.claims.map((n) => ({ name: n })) },
      })),
    },
  });

  it('creates claims from templates, allocates distinct devices, shows them only to containers that reference the claim, and deallocates', async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35', tls: false });
    const c = cluster;
    await raw(c, 'POST', '/apis/resource.k8s.io/v1/namespaces/default/resourceclaimtemplates', {
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceClaimTemplate',
      metadata: { name: 'one-gpu' },
      spec: {
        spec: {
          devices: {
            requests: [
              {
                name: 'gpu',
                exactly: {
                  deviceClassName: 'gpu.example.com',
                  selectors: [{ cel: { expression: "device.attributes['gpu.example.com'].model == 'LATEST-GPU-MODEL'" } }],
                },
              },
            ],
          },
        },
      },
    });
    await raw(
      c,
      'POST',
      '/api/v1/namespaces/default/pods',
      claimPod('p1', [
        { name: 'with', claims: ['gpu'] },
        { name: 'without', claims: [] },
      ]),
    );
    await raw(c, 'POST', '/api/v1/namespaces/default/pods', claimPod('p2', [{ name: 'with', claims: ['gpu'] }]));
    const p1 = await waitForObject(c, 'pods', podDone('p1'));
    await waitForObject(c, 'pods', podDone('p2'));
    expect(phase(p1)).toBe('Succeeded');
    const statuses = (p1.status as { resourceClaimStatuses: { name: string; resourceClaimName: string }[] }).resourceClaimStatuses;
    expect(statuses[0]?.resourceClaimName).toMatch(/^p1-gpu-[a-z0-9]{5}$/);
    const d1 = await resultOf(c, 'default', 'p1', 'with');
    const d2 = await resultOf(c, 'default', 'p2', 'with');
    expect(d1).toHaveLength(1);
    expect(d2).toHaveLength(1);
    expect(d1[0]).toMatch(/^gpu-[0-7]$/);
    expect(await resultOf(c, 'default', 'p1', 'without')).toEqual([]);
    // Both pods ended: their claims are released and deallocated.
    const claim = await waitForObject(
      c,
      'resourceclaims.resource.k8s.io',
      (o) =>
        o.metadata.name === statuses[0]?.resourceClaimName && (o.status as { allocation?: unknown } | undefined)?.allocation === undefined,
    );
    expect(claim.metadata.ownerReferences?.[0]?.name).toBe('p1');
  });

  it('holds devices while pods run: two holders get different devices, a claim nothing satisfies leaves the pod Pending', async () => {
    cluster = await startFakeCluster({
      scenario: { name: 'dra-one-node', kubernetesVersion: '1.35', include: ['kind-example-dra-1.35.yaml'] },
      tls: false,
    });
    const c = cluster;
    const holder = (name: string, cls: string): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        resourceClaims: [{ name: 'gpu', resourceClaimName: `${name}-claim` }],
        containers: [
          { name: 'c', image: 'busybox', command: ['sh', '-c', `${EXAMPLE_SCRIPT}; sleep 3600`], resources: { claims: [{ name: 'gpu' }] } },
        ],
      },
      cls,
    });
    for (const [name, cls] of [
      ['h1', 'gpu.example.com'],
      ['h2', 'gpu.example.com'],
      ['h3', 'no-such-class'],
    ] as const) {
      await raw(c, 'POST', '/apis/resource.k8s.io/v1/namespaces/default/resourceclaims', {
        apiVersion: 'resource.k8s.io/v1',
        kind: 'ResourceClaim',
        metadata: { name: `${name}-claim` },
        spec: { devices: { requests: [{ name: 'gpu', exactly: { deviceClassName: cls } }] } },
      });
      const { cls: _ignored, ...pod } = holder(name, cls);
      await raw(c, 'POST', '/api/v1/namespaces/default/pods', pod);
    }
    const h1 = await waitForObject(c, 'pods', (p) => p.metadata.name === 'h1' && phase(p) === 'Running');
    const h2 = await waitForObject(c, 'pods', (p) => p.metadata.name === 'h2' && phase(p) === 'Running');
    const seen1 = await resultOf(c, 'default', 'h1');
    const seen2 = await resultOf(c, 'default', 'h2');
    if ((h1.spec as { nodeName: string }).nodeName === (h2.spec as { nodeName: string }).nodeName) expect(seen1).not.toEqual(seen2);
    const claim = c.store.get('resourceclaims.resource.k8s.io', 'default', 'h1-claim');
    expect(claim?.status).toMatchObject({
      reservedFor: [{ resource: 'pods', name: 'h1' }],
      allocation: { devices: { results: [{ request: 'gpu', driver: 'gpu.example.com', device: seen1[0] }] } },
    });
    const stuck = await waitForObject(c, 'pods', (p) => p.metadata.name === 'h3' && JSON.stringify(p.status).includes('Unschedulable'));
    expect(JSON.stringify(stuck.status)).toContain('device class no-such-class does not exist');
  });
});

describe('workload controllers', () => {
  const base: Scenario = { name: 'workloads', kubernetesVersion: '1.35', nodes: [{ name: 'w1' }, { name: 'w2' }] };

  it('runs a Job to completion (Indexed, parallel) and fails one past its backoff limit', async () => {
    cluster = await startFakeCluster({ scenario: base, tls: false });
    const c = cluster;
    await raw(c, 'POST', '/apis/batch/v1/namespaces/default/jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'ok' },
      spec: {
        completions: 3,
        parallelism: 2,
        completionMode: 'Indexed',
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo done'] }] } },
      },
    });
    const job = await waitForObject(c, 'jobs.batch', (j) => j.metadata.name === 'ok' && JSON.stringify(j.status).includes('"Complete"'));
    expect(job.status).toMatchObject({ succeeded: 3, active: 0, completedIndexes: '0,1,2' });
    await raw(c, 'POST', '/apis/batch/v1/namespaces/default/jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'bad' },
      spec: {
        backoffLimit: 1,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 3'] }] } },
      },
    });
    const failed = await waitForObject(c, 'jobs.batch', (j) => j.metadata.name === 'bad' && JSON.stringify(j.status).includes('"Failed"'));
    expect(failed.status).toMatchObject({
      failed: 2,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers as any
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'Failed', reason: 'BackoffLimitExceeded' })]),
    });
    const pods = c.store.list('pods', { namespace: 'default' }).filter((p) => p.metadata.ownerReferences?.[0]?.name === 'bad');
    const exit = (pods[0]?.status as { containerStatuses: { state: { terminated: { exitCode: number } } }[] }).containerStatuses[0]?.state
      .terminated.exitCode;
    expect(exit).toBe(3);
  });

  it('rolls a Deployment out through a ReplicaSet, scales it, and garbage-collects it', async () => {
    cluster = await startFakeCluster({ scenario: base, tls: false });
    const c = cluster;
    await raw(c, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    });
    const ready = await waitForObject(
      c,
      'deployments.apps',
      (d) => d.metadata.name === 'web' && (d.status as { readyReplicas?: number } | undefined)?.readyReplicas === 2,
    );
    expect(ready.status).toMatchObject({
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers as any
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'Available', status: 'True' })]),
    });
    const scale = await raw(
      c,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/web/scale',
      { spec: { replicas: 3 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(scale.json).toMatchObject({ kind: 'Scale', spec: { replicas: 3 } });
    await waitForObject(
      c,
      'deployments.apps',
      (d) => d.metadata.name === 'web' && (d.status as { readyReplicas?: number } | undefined)?.readyReplicas === 3,
    );
    const rs = c.store.list('replicasets.apps', { namespace: 'default' });
    expect(rs).toHaveLength(1);
    expect(rs[0]?.metadata.name).toMatch(/^web-[0-9a-z]+$/);
    await raw(c, 'DELETE', '/apis/apps/v1/namespaces/default/deployments/web');
    await new Promise<void>((resolve) => {
      const check = (): boolean => c.store.list('pods', { namespace: 'default' }).length === 0;
      if (check()) {
        resolve();
        return;
      }
      const unsubscribe = c.store.subscribe(() => {
        if (check()) {
          unsubscribe();
          resolve();
        }
      });
    });
    expect(c.store.list('replicasets.apps', { namespace: 'default' })).toEqual([]);
  });
});

describe('deletion defaults', () => {
  it('orphans the pods of a Job deleted without a propagation policy, as the apiserver does', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'orphan', kubernetesVersion: '1.35', nodes: [{ name: 'w1' }] }, tls: false });
    const c = cluster;
    const job = (name: string): Record<string, unknown> => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sleep', 'infinity'] }] } },
      },
    });
    for (const name of ['j-default', 'j-background']) await raw(c, 'POST', '/apis/batch/v1/namespaces/default/jobs', job(name));
    const owned =
      (name: string) =>
      (p: KObj): boolean =>
        p.metadata.ownerReferences?.[0]?.name === name && phase(p) === 'Running';
    await waitForObject(c, 'pods', owned('j-default'));
    await waitForObject(c, 'pods', owned('j-background'));
    await raw(c, 'DELETE', '/apis/batch/v1/namespaces/default/jobs/j-default');
    const orphan = await waitForObject(
      c,
      'pods',
      (p) => p.metadata.name?.startsWith('j-default-') === true && (p.metadata.ownerReferences ?? []).length === 0,
    );
    expect(phase(orphan)).toBe('Running');
    await raw(c, 'DELETE', '/apis/batch/v1/namespaces/default/jobs/j-background', { propagationPolicy: 'Background' });
    await new Promise<void>((resolve) => {
      const gone = (): boolean => !c.store.list('pods', { namespace: 'default' }).some((p) => p.metadata.name?.startsWith('j-background-'));
      if (gone()) {
        resolve();
        return;
      }
      const unsubscribe = c.store.subscribe(() => {
        if (gone()) {
          unsubscribe();
          resolve();
        }
      });
    });
    expect(c.store.get('pods', 'default', orphan.metadata.name ?? '')).toBeDefined();
  });
});
