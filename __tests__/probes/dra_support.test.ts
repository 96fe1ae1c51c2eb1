import { describe, expect, it } from 'vitest';
import { draSupportProbe } from '../../src/probes/dra_support.js';
import { runProbeOnScenario, type ProbeRun } from '../helpers/probe-harness.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

function expectClean(run: ProbeRun): void {
  expect(run.leaked).toBe(0);
  expect(run.leftInStore).toEqual([]);
}

function checkNamed(run: ProbeRun, fragment: string): { verdict: string; reason: string } {
  const check = run.result.checks.find((c) => c.name.includes(fragment));
  if (!check) throw new Error(`no check named like "${fragment}" in ${run.result.checks.map((c) => c.name).join(', ')}`);
  return check;
}

describe('dra_support', () => {
  it('passes on kind with dra-example-driver (1.35): v1 served, slices published, claim allocated, pod runs', async () => {
    const run = await runProbeOnScenario(draSupportProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    expect(checkNamed(run, 'required version').reason).toContain('using resource.k8s.io/v1 ');
    expect(checkNamed(run, 'DeviceClass').reason).toContain('gpu.example.com');
    expect(checkNamed(run, 'allocated').reason).toMatch(/allocated gpu\.example\.com\/[^/]+\/gpu-\d/);
    expectClean(run);
  });

  it('passes on 1.34, where DRA is GA', async () => {
    const run = await runProbeOnScenario(draSupportProbe, scenarioPath('kind-example-dra-1.34'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.level).toBe('MUST');
    expectClean(run);
  });

  it('creates its objects in a beta version on a 1.33 cluster', async () => {
    const run = await runProbeOnScenario(draSupportProbe, scenarioPath('kind-example-dra-1.33'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(checkNamed(run, 'required version').reason).toMatch(/using resource\.k8s\.io\/v1beta[12]/);
    expect(run.result.level).toBe('SHOULD');
    expectClean(run);
  });

  it('uses the v1beta1 request shape on a 1.33 cluster serving only v1beta1', async () => {
    const file = derivedScenario('dra-v1beta1-only-1.33', '1.33', ['kind-example-dra-1.33'], {
      discovery: { disable: ['resource.k8s.io/v1beta2'] },
    });
    const run = await runProbeOnScenario(draSupportProbe, file, { accelerator: 'example' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(checkNamed(run, 'required version').reason).toContain('using resource.k8s.io/v1beta1 ');
    expectClean(run);
  });

  it('passes with the nvidia profile on a GPU cluster by using the DeviceClass that exists', async () => {
    const run = await runProbeOnScenario(draSupportProbe, scenarioPath('gpu-nvidia-1.35'), { accelerator: 'nvidia' });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(checkNamed(run, 'DeviceClass').reason).toContain('using DeviceClass gpu.nvidia.com');
    expectClean(run);
  });

  it('fails when no driver publishes ResourceSlices, saying so', async () => {
    const run = await runProbeOnScenario(draSupportProbe, scenarioPath('fail-dra-no-slices-1.35'));
    expect(run.result.verdict).toBe('failed');
    expect(checkNamed(run, 'ResourceSlices').verdict).toBe('failed');
    expect(run.result.reason).toContain('no ResourceSlice with devices published by driver gpu.example.com');
    expectClean(run);
  });

  it('fails on 1.35 when resource.k8s.io/v1 is not served', async () => {
    const file = derivedScenario('dra-no-v1-1.35', '1.35', ['kind-example-dra-1.35'], { discovery: { disable: ['resource.k8s.io/v1'] } });
    const run = await runProbeOnScenario(draSupportProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.reason).toContain('Kubernetes 1.35 must serve resource.k8s.io/v1');
    expectClean(run);
  });

  it('passes on the APIs alone where no DRA driver is installed, saying allocation was not tested', async () => {
    // The requirement's test plan: the resource.k8s.io APIs are enabled. Without any DRA driver
    // (device-plugin GPUs only) there is nothing to allocate, and that is said, not failed.
    for (const [scenario, accelerator] of [
      ['bare-1.35', 'nvidia'],
      ['gpu-unlabelled-1.35', undefined],
    ] as const) {
      const run = await runProbeOnScenario(draSupportProbe, scenarioPath(scenario), accelerator ? { accelerator } : {});
      expect(run.result.verdict, run.result.reason).toBe('passed');
      expect(run.result.checks.map((c) => c.name)).toEqual(['resource.k8s.io is served in the required version']);
      expect(run.result.observations.map((o) => o.message).join('\n')).toContain(
        'no DRA driver is installed (no DeviceClass; accelerators here use the device plugin nvidia.com/gpu): allocation through DRA was not tested',
      );
      expectClean(run);
    }
  });

  it('ends in error, never passed, when listing ResourceSlices answers 500', async () => {
    const file = derivedScenario('dra-slices-500', '1.35', ['kind-example-dra-1.35'], {
      faults: [
        { verb: 'list', resource: 'resourceslices.resource.k8s.io', errorRate: 1, status: 500, message: 'etcdserver: request timed out' },
      ],
    });
    const run = await runProbeOnScenario(draSupportProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('error');
    expect(checkNamed(run, 'ResourceSlices').verdict).toBe('error');
    expect(run.result.reason).toContain('500');
    expectClean(run);
  });

  it('still decides correctly when watches on claims keep dropping', async () => {
    const file = derivedScenario('dra-watch-drops', '1.35', ['kind-example-dra-1.35'], {
      faults: [{ verb: 'watch', resource: 'resourceclaims.resource.k8s.io', dropWatchAfterMs: 20 }],
      behaviours: { kubelet: { startDelayMs: 100 } },
    });
    const run = await runProbeOnScenario(draSupportProbe, file, { accelerator: 'example' });
    // The kube layer re-establishes dropped watches; the probe must not notice.
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expectClean(run);
  });

  it("reads one page of its driver's ResourceSlices however many slices the cluster has", async () => {
    const otherSlice = (i: number) => ({
      apiVersion: 'resource.k8s.io/v1',
      kind: 'ResourceSlice',
      metadata: { name: `other-${i}` },
      spec: {
        driver: 'other.example.org',
        nodeName: 'ai-conformance-worker',
        pool: { name: `pool-${i}`, generation: 0, resourceSliceCount: 1 },
        devices: [{ name: 'd0' }],
      },
    });
    const base = derivedScenario('dra-few-slices', '1.35', ['kind-example-dra-1.35']);
    const many = derivedScenario('dra-many-slices', '1.35', ['kind-example-dra-1.35'], {
      objects: Array.from({ length: 1200 }, (_, i) => otherSlice(i)),
    });
    const lists = async (file: string): Promise<{ lists: number; reason: string }> => {
      const run = await runProbeOnScenario(draSupportProbe, file, { accelerator: 'example', keepCluster: true });
      try {
        expect(run.result.verdict, run.result.reason).toBe('passed');
        expectClean(run);
        return { lists: run.cluster.stats().byVerb.list ?? 0, reason: checkNamed(run, 'ResourceSlices').reason };
      } finally {
        await run.cluster.stop();
      }
    };
    const few = await lists(base);
    const lots = await lists(many);
    expect(lots.lists).toBe(few.lists);
    expect(lots.reason).toBe('2 ResourceSlice(s) from driver gpu.example.com list 16 device(s) on 2 node(s)/pool(s)');
  });

  it('says that slices of any driver were counted when the DeviceClass names no driver', async () => {
    const file = derivedScenario('dra-class-without-driver', '1.35', ['bare-1.35'], {
      objects: [
        { apiVersion: 'resource.k8s.io/v1', kind: 'DeviceClass', metadata: { name: 'accel.example.org' }, spec: {} },
        {
          apiVersion: 'resource.k8s.io/v1',
          kind: 'ResourceSlice',
          metadata: { name: 'bare-worker-accel' },
          spec: {
            driver: 'accel.example.org',
            nodeName: 'bare-worker',
            pool: { name: 'bare-worker', generation: 0, resourceSliceCount: 1 },
            devices: [{ name: 'a0' }],
          },
        },
      ],
    });
    const run = await runProbeOnScenario(draSupportProbe, file);
    expect(checkNamed(run, 'ResourceSlices').reason).toBe(
      '1 ResourceSlice(s) from any driver (DeviceClass accel.example.org names none, so slices of every driver were counted) list 1 device(s) on 1 node(s)/pool(s)',
    );
    expectClean(run);
  });
});
