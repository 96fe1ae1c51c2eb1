import { describe, expect, it } from 'vitest';
import { secureAcceleratorAccessProbe } from '../../src/probes/secure_accelerator_access.js';
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
const ENVVAR = 'a pod without an accelerator that sets NVIDIA_VISIBLE_DEVICES=all sees none';

describe('secure_accelerator_access', () => {
  it('passes on kind with dra-example-driver: claimed GPUs visible, unclaimed ones not, distinct per pod', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(Object.values(verdicts(run))).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'passed']);
    const distinct = run.result.checks.find((c) => c.name === DISTINCT);
    expect(distinct?.reason).toMatch(/^\(same node\) saa-holder-a on (\S+) sees gpu-\d; saa-holder-b on \1 sees gpu-\d$/);
    expectClean(run);
  });

  it('passes with the nvidia device-plugin profile (extended resource, /dev/nvidia*)', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks[0]?.reason).toContain('nvidia.com/gpu limit');
    expect(run.result.checks.find((c) => c.name === POSITIVE)?.reason).toMatch(
      /sees GPU-[0-9a-f-]{36} \(\/dev\/nvidia\d\) on node gpu-node-\d/,
    );
    expectClean(run);
  });

  it('passes on a 1.33 cluster, claiming through the beta DRA API', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('kind-example-dra-1.33'), { accelerator: 'example' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expectClean(run);
  });

  it('fails at once, without waiting on pods, on a cluster without accelerators (bare-1.35)', async () => {
    const detected = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('bare-1.35'));
    expect(detected.result.verdict).toBe('failed');
    expect(detected.result.reason).toMatch(/^probe pods can ask for an accelerator: no accelerator on this cluster: no accelerator found/);
    expect(detected.result.durationMs).toBeLessThan(10_000);
    expectClean(detected);

    const given = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('bare-1.35'), { accelerator: 'example' });
    expect(given.result.verdict).toBe('failed');
    expect(given.result.reason).toContain('DeviceClass gpu.example.com (accelerator profile example) does not exist');
    expect(given.result.durationMs).toBeLessThan(10_000);
    expectClean(given);
  });

  it('fails when the runtime shows every device to every container', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('fail-secure-access-isolation-1.35'));
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
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(verdicts(run)).toMatchObject({ [POSITIVE]: 'passed', [NEGATIVE]: 'passed', [DISTINCT]: 'failed' });
    expect(run.result.checks.find((c) => c.name === DISTINCT)?.reason).toContain('both see gpu-0');
    expectClean(run);
  });

  it('ends in error, never passed, when pod logs cannot be read', async () => {
    const file = derivedScenario('saa-logs-500', '1.35', ['kind-example-dra-1.35'], {
      faults: [{ verb: 'get', resource: 'pods/log', errorRate: 1, status: 500, message: 'kubelet unreachable' }],
    });
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('error');
    expect(run.result.checks.filter((c) => c.verdict === 'passed').map((c) => c.name)).toEqual(['probe pods can ask for an accelerator']);
    expect(run.result.reason).toContain('500');
    expectClean(run);
  });

  it('runs the pod without an accelerator on the node where the pod with one ran, not on a CPU-only node', async () => {
    // Devices leak on the one GPU node; the emptier CPU-only workers have none, so a negative pod
    // placed by the scheduler alone would land there and see nothing.
    const file = derivedScenario('saa-leak-cpu-node', '1.35', ['bare-1.35'], {
      nodes: [{ name: 'gpu-a', allocatable: { 'nvidia.com/gpu': '8' } }],
      behaviours: {
        kubelet: {
          breakIsolation: true,
          extendedResources: { 'nvidia.com/gpu': 'nvidia' },
          acceptNvidiaVisibleDevicesEnvvarWhenUnprivileged: false,
        },
      },
    });
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, file, { accelerator: 'nvidia' });
    const negative = run.result.checks.find((c) => c.name === NEGATIVE);
    expect(negative?.verdict, negative?.reason).toBe('failed');
    expect(negative?.reason).toMatch(/a pod that asked for no accelerator sees GPU-.* on node gpu-a: devices are not isolated/);
    expectClean(run);
  });

  it('keeps the pod with an accelerator until the negative pods ran beside it, so an autoscaled node is not removed under them', async () => {
    // The only GPU node is an autoscaled one, removed as soon as it is idle (pods start at once
    // here). Were the pod with an accelerator to finish first, the node would be gone before the
    // negative pods pinned to it were placed, and they would wait out their deadline (a stall).
    const file = derivedScenario('saa-node-gone', '1.35', ['bare-1.35', 'addons/cluster-autoscaler.yaml'], {
      behaviours: {
        'cluster-autoscaler': { scaleDownDelayMs: 0, maxSize: 1 },
        kubelet: { imagePullMs: 0, containerStartMs: 0, devicePrepareMs: 0 },
      },
    });
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, file, {
      accelerator: 'nvidia',
      probeOptions: { extra: { 'secure-accelerator-access.pod-ms': '3000' } },
    });
    const negative = run.result.checks.find((c) => c.name === NEGATIVE);
    expect(negative?.verdict, negative?.reason).toBe('passed');
    expect(negative?.reason).toMatch(/sees no device on node ca-gpu-1, where the pod with one saw its device/);
    expect(negative?.durationMs).toBeLessThan(3000);
    expectClean(run);
  });

  it('passes with one accelerator per node: the pair spreads over two nodes and their GPU UUIDs differ', async () => {
    // With one GPU per node no second pod can share a node's GPU; UUIDs are unique across nodes.
    const gpuNode = (name: string) => ({ name, allocatable: { 'nvidia.com/gpu': '1' } });
    const file = derivedScenario('saa-one-gpu-per-node', '1.35', ['bare-1.35'], {
      nodes: [gpuNode('gpu-a'), gpuNode('gpu-b')],
      behaviours: { kubelet: { acceptNvidiaVisibleDevicesEnvvarWhenUnprivileged: false } },
    });
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, file, { accelerator: 'nvidia' });
    const distinct = run.result.checks.find((c) => c.name === DISTINCT);
    expect(distinct?.verdict, distinct?.reason).toBe('passed');
    expect(distinct?.reason).toMatch(
      /^\(different nodes: node gpu-[ab] offers 1 accelerator\(s\)\) saa-holder-a on gpu-[ab] sees GPU-\S+ \(\/dev\/nvidia0\); saa-holder-b on gpu-[ab] sees GPU-\S+ \(\/dev\/nvidia0\): different device UUIDs$/,
    );
    expect(run.result.verdict).toBe('passed');
    expectClean(run);
  });

  it('ends in error, not failed, when the pinned second holder stays unschedulable because the node is busy', async () => {
    // gpu-a offers 2 GPUs but another pod holds one: the first holder takes the last one.
    const file = derivedScenario('saa-busy-node', '1.35', ['bare-1.35'], {
      nodes: [{ name: 'gpu-a', allocatable: { 'nvidia.com/gpu': '2' } }],
      behaviours: {
        kubelet: { extendedResources: { 'nvidia.com/gpu': 'nvidia' }, acceptNvidiaVisibleDevicesEnvvarWhenUnprivileged: false },
      },
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'training', namespace: 'default' },
          spec: {
            nodeName: 'gpu-a',
            containers: [
              { name: 'train', image: 'trainer', command: ['sleep', 'infinity'], resources: { limits: { 'nvidia.com/gpu': '1' } } },
            ],
          },
          status: { phase: 'Running' },
        },
      ],
    });
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, file, {
      accelerator: 'nvidia',
      probeOptions: { extra: { 'secure-accelerator-access.pod-ms': '3000' } },
    });
    const distinct = run.result.checks.find((c) => c.name === DISTINCT);
    expect(distinct?.verdict, distinct?.reason).toBe('error');
    expect(distinct?.reason).toMatch(/pinned to node gpu-a could not be placed there .*stayed unschedulable/);
    expect(run.result.verdict).toBe('error');
    expectClean(run);
  });

  it.each([
    [
      'gpu-mig-mixed-1.35',
      /^\(same node\) saa-holder-a on (\S+) sees MIG-\S+ \(\/dev\/nvidia0\); saa-holder-b on \1 sees MIG-\S+ \(\/dev\/nvidia0\)$/,
    ],
    [
      'gpu-timeslicing-1.35',
      /^\(same node, time-slicing replicas \(node label nvidia\.com\/gpu\.replicas=4\)\) .*: both hold a replica of GPU-\S+, sharing the platform is configured for/,
    ],
    ['gpu-amd-1.35', /^\(same node\) saa-holder-a on (\S+) sees dri\/renderD12\d, kfd; saa-holder-b on \1 sees dri\/renderD12\d, kfd$/],
    ['gpu-tpu-gke-1.35', /^\(same node\) saa-holder-a on (\S+) sees accel\d; saa-holder-b on \1 sees accel\d$/],
    ['gpu-unlabelled-1.35', /^\(same node\) saa-holder-a on (gpu-worker-\d) sees GPU-/],
  ])('passes on %s, comparing devices by their own identity', async (scenario, distinct) => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath(scenario));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks.find((c) => c.name === DISTINCT)?.reason).toMatch(distinct);
    expectClean(run);
  });

  it('fails when a pod without a grant that sets NVIDIA_VISIBLE_DEVICES=all sees GPUs (toolkit defaults, fail-secure-access-envvar-leak-1.35)', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('fail-secure-access-envvar-leak-1.35'), {
      accelerator: 'nvidia',
    });
    expect(run.result.verdict).toBe('failed');
    expect(verdicts(run)).toMatchObject({
      [POSITIVE]: 'passed',
      [NEGATIVE]: 'passed',
      [ENVVAR]: 'failed',
      [CONTAINERS]: 'passed',
      [DISTINCT]: 'passed',
    });
    expect(run.result.checks.find((c) => c.name === ENVVAR)?.reason).toMatch(
      /sets NVIDIA_VISIBLE_DEVICES=all \(as CUDA images do\) sees (GPU-\S+, ){7}GPU-\S+ \(.*\) on node gpu-node-\d: the NVIDIA container runtime honours the variable/,
    );
    expectClean(run);
  });

  it('tests every mechanism the cluster offers: DRA and the device plugin on gpu-nvidia-1.35, each named', async () => {
    const run = await runProbeOnScenario(secureAcceleratorAccessProbe, scenarioPath('gpu-nvidia-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    const names = run.result.checks.map((c) => c.name);
    expect(names).toContain(POSITIVE);
    expect(names).toContain(`${POSITIVE} [device plugin nvidia.com/gpu]`);
    expect(names).toContain(`${ENVVAR} [device plugin nvidia.com/gpu]`);
    expect(run.result.checks.find((c) => c.name === POSITIVE)?.reason).toMatch(
      /^pod with a claim on DeviceClass gpu\.nvidia\.com sees GPU-\S+ \(\/dev\/nvidia\d\) on node gpu-dra-node-1$/,
    );
    expectClean(run);
  });
});
