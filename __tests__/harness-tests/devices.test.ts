// The fake kubelet tells the truth about devices: what a container sees follows what its runtime
// would expose (device-plugin and DRA grants, MIG and time-sliced identities, the NVIDIA
// runtime's NVIDIA_VISIBLE_DEVICES behaviour, other vendors' device nodes), and starting a pod
// takes time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCluster, KObj, Scenario } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';
import { pluginDevice } from '../harness/devices.js';
import { GENERIC_DEVICE_SCRIPT } from '../../src/probes/profiles.js';
import { raw, waitForObject } from './helpers.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

interface Line {
  devices: string[];
  nodes?: string[];
}

const phase = (p: KObj): string => (p.status as { phase?: string } | undefined)?.phase ?? '';

async function start(scenario: Scenario): Promise<FakeCluster> {
  cluster = await startFakeCluster({ scenario, tls: false });
  return cluster;
}

/** Runs one probe-like pod (the real device-list script) and returns its result line and node. */
async function seen(
  c: FakeCluster,
  name: string,
  container: { limits?: Record<string, string>; env?: Record<string, string>; node?: string; tolerate?: string[] },
): Promise<Line & { node: string }> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      ...(container.node ? { nodeName: container.node } : {}),
      tolerations: (container.tolerate ?? []).map((key) => ({ key, operator: 'Exists' })),
      containers: [
        {
          name: 'c',
          image: 'busybox',
          command: ['sh', '-c', `${GENERIC_DEVICE_SCRIPT}\nexec sleep 3600`],
          env: Object.entries(container.env ?? {}).map(([k, value]) => ({ name: k, value })),
          resources: { limits: container.limits ?? {} },
        },
      ],
    },
  };
  await raw(c, 'POST', '/api/v1/namespaces/default/pods', pod);
  const running = await waitForObject(c, 'pods', (p) => p.metadata.name === name && phase(p) === 'Running');
  const text = (await raw(c, 'GET', `/api/v1/namespaces/default/pods/${name}/log`)).text;
  const line = text.split('\n').find((l) => l.startsWith('AI_CONFORMANCE_RESULT ')) ?? '';
  return {
    ...(JSON.parse(line.slice('AI_CONFORMANCE_RESULT '.length)) as Line),
    node: (running.spec as { nodeName: string }).nodeName,
  };
}

describe('the fake kubelet shows what the runtime would expose', () => {
  it('gives device-plugin GPUs their UUIDs and /dev/nvidia<i>, distinct per pod on a node', async () => {
    const c = await start({
      name: 'g',
      kubernetesVersion: '1.35',
      include: ['gpu-nvidia-1.35.yaml'],
      behaviours: { 'cluster-autoscaler': false },
    });
    const a = await seen(c, 'a', { limits: { 'nvidia.com/gpu': '1' }, node: 'gpu-node-1', tolerate: ['nvidia.com/gpu'] });
    const b = await seen(c, 'b', { limits: { 'nvidia.com/gpu': '1' }, node: 'gpu-node-1', tolerate: ['nvidia.com/gpu'] });
    expect(a.devices).toEqual([expect.stringMatching(/^GPU-[0-9a-f]{8}-/)]);
    expect(a.nodes).toEqual(['nvidia0']);
    expect(b.nodes).toEqual(['nvidia1']);
    expect(b.devices[0]).not.toBe(a.devices[0]);
  });

  it('shows MIG instances by their MIG- UUIDs, two of one GPU sharing /dev/nvidia0', async () => {
    const c = await start({ name: 'm', kubernetesVersion: '1.35', include: ['gpu-mig-mixed-1.35.yaml'] });
    const a = await seen(c, 'a', { limits: { 'nvidia.com/mig-1g.5gb': '1' }, node: 'a100-mig-1', tolerate: ['nvidia.com/gpu'] });
    const b = await seen(c, 'b', { limits: { 'nvidia.com/mig-1g.5gb': '1' }, node: 'a100-mig-1', tolerate: ['nvidia.com/gpu'] });
    expect(a.devices).toEqual([expect.stringMatching(/^MIG-/)]);
    expect(b.devices).toEqual([expect.stringMatching(/^MIG-/)]);
    expect(a.devices[0]).not.toBe(b.devices[0]);
    expect(a.nodes).toEqual(['nvidia0']);
    expect(b.nodes).toEqual(['nvidia0']);
  });

  it("places MIG instances on their GPUs by the node's mig.config layout (all-balanced: 2 x 1g.5gb, 1 x 2g.10gb, 1 x 3g.20gb per A100)", () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'a100-mig-1',
        labels: { 'nvidia.com/gpu.count': '8', 'nvidia.com/mig.strategy': 'mixed', 'nvidia.com/mig-1g.5gb.count': '16' },
      },
      status: { allocatable: { 'nvidia.com/mig-1g.5gb': '16', 'nvidia.com/mig-2g.10gb': '8', 'nvidia.com/mig-3g.20gb': '8' } },
    };
    const parents = (resource: string, count: number) =>
      Array.from({ length: count }, (_, k) => pluginDevice(node, resource, k)?.nvidiaIndex);
    expect(parents('nvidia.com/mig-1g.5gb', 16)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
    expect(parents('nvidia.com/mig-3g.20gb', 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Without a layout to read, as many as fit on one GPU.
    const bare = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'bare' }, status: {} };
    expect(Array.from({ length: 8 }, (_, k) => pluginDevice(bare, 'nvidia.com/mig-1g.5gb', k)?.nvidiaIndex)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });

  it('shows two time-sliced replicas of one GPU as the same GPU UUID', async () => {
    const c = await start({ name: 't', kubernetesVersion: '1.35', include: ['gpu-timeslicing-1.35.yaml'] });
    const a = await seen(c, 'a', { limits: { 'nvidia.com/gpu': '1' }, node: 'l4-node-1' });
    const b = await seen(c, 'b', { limits: { 'nvidia.com/gpu': '1' }, node: 'l4-node-1' });
    expect(a.devices).toHaveLength(1);
    expect(b.devices).toEqual(a.devices);
  });

  it('lets NVIDIA_VISIBLE_DEVICES=all in a pod without a grant see every GPU under the toolkit defaults, and nothing when hardened', async () => {
    const leaky = await start({ name: 'leak', kubernetesVersion: '1.35', include: ['fail-secure-access-envvar-leak-1.35.yaml'] });
    const all = await seen(leaky, 'cuda', { env: { NVIDIA_VISIBLE_DEVICES: 'all' }, node: 'gpu-node-1', tolerate: ['nvidia.com/gpu'] });
    expect(all.devices).toHaveLength(8);
    const plain = await seen(leaky, 'plain', { node: 'gpu-node-1', tolerate: ['nvidia.com/gpu'] });
    expect(plain.devices).toEqual([]);
    const onDra = await seen(leaky, 'cuda-dra', {
      env: { NVIDIA_VISIBLE_DEVICES: 'all' },
      node: 'gpu-dra-node-1',
      tolerate: ['nvidia.com/gpu'],
    });
    expect(onDra.devices).toEqual([
      'GPU-00ab4a83-8d72-7d3f-eeaa-b53906b0a074',
      'GPU-02696dfa-7ad2-8775-20ec-d561eaa7b632',
      'GPU-82a08606-fcb2-6bb8-8c9a-eb622d0de86e',
      'GPU-96d79c22-6438-086e-9fab-bb2bef64b225',
    ]);
    await leaky.stop();
    cluster = undefined;

    const hardened = await start({ name: 'hard', kubernetesVersion: '1.35', include: ['gpu-nvidia-1.35.yaml'] });
    expect(
      (await seen(hardened, 'cuda', { env: { NVIDIA_VISIBLE_DEVICES: 'all' }, node: 'gpu-node-1', tolerate: ['nvidia.com/gpu'] })).devices,
    ).toEqual([]);
  });

  it('shows AMD GPUs as /dev/kfd plus their render node, and TPU chips as /dev/accel<i>', async () => {
    const amd = await start({ name: 'amd', kubernetesVersion: '1.35', include: ['gpu-amd-1.35.yaml'] });
    const a = await seen(amd, 'a', { limits: { 'amd.com/gpu': '1' }, node: 'mi300x-1', tolerate: ['amd.com/gpu'] });
    expect(a.devices).toEqual(['dri/renderD128', 'kfd']);
    expect((await seen(amd, 'none', { node: 'mi300x-1', tolerate: ['amd.com/gpu'] })).devices).toEqual([]);
    await amd.stop();
    const tpu = await start({ name: 'tpu', kubernetesVersion: '1.35', include: ['gpu-tpu-gke-1.35.yaml'] });
    expect(
      (await seen(tpu, 't', { limits: { 'google.com/tpu': '4' }, node: 'gke-tpu-pool-c3d4', tolerate: ['google.com/tpu'] })).devices,
    ).toEqual(['accel0', 'accel1', 'accel2', 'accel3']);
  });

  it('takes time to start a pod: image pull, container start, device preparation (configurable)', async () => {
    const c = await start({
      name: 'slow',
      kubernetesVersion: '1.35',
      include: ['gpu-nvidia-1.35.yaml'],
      behaviours: { kubelet: { imagePullMs: 120, devicePrepareMs: 60 } },
    });
    const before = Date.now();
    await seen(c, 'first', { limits: { 'nvidia.com/gpu': '1' }, node: 'gpu-node-1', tolerate: ['nvidia.com/gpu'] });
    expect(Date.now() - before).toBeGreaterThanOrEqual(170);
    const events = (await raw(c, 'GET', '/api/v1/namespaces/default/events')).json.items as { reason?: string }[];
    expect(events.map((e) => e.reason)).toContain('Pulled');
  });
});

describe('the device-list script itself (run by a real shell)', () => {
  it('prints MIG UUIDs rather than their parent GPU, and whole GPUs without MIG', () => {
    const smi = [
      'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa)',
      '  MIG 1g.5gb     Device  0: (UUID: MIG-bbbb)',
      'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-cccc)',
    ].join('\n');
    const bin = mkdtempSync(join(tmpdir(), 'fake-nvidia-smi-'));
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\ncat <<'EOF'\n${smi}\nEOF\n`, { mode: 0o755 });
    const out = execFileSync('sh', ['-c', GENERIC_DEVICE_SCRIPT], {
      env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
      encoding: 'utf8',
    });
    expect(out).toBe('AI_CONFORMANCE_RESULT {"devices":["MIG-bbbb","GPU-cccc"]}\n');
  });
});
