// Every scenario file loads and starts; the large one is generated compactly and pages cheaply.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCENARIOS_DIR, startFakeCluster } from '../harness/index.js';
import { loadScenarioFile } from '../harness/scenario.js';
import { raw } from './helpers.js';

const files = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.yaml'));

describe('scenario files', () => {
  it('includes the required scenarios', () => {
    for (const name of [
      'kind-example-dra-1.33',
      'kind-example-dra-1.34',
      'kind-example-dra-1.35',
      'kind-example-dra-1.36',
      'kind-example-dra-1.37',
      'gpu-nvidia-1.35',
      'gpu-nvidia-1.37',
      'bare-1.35',
      'large-1.35',
    ]) {
      expect(files).toContain(`${name}.yaml`);
    }
  });

  it.each(files.filter((f) => f !== 'large-1.35.yaml'))('%s loads and starts', async (file) => {
    const scenario = loadScenarioFile(`${SCENARIOS_DIR}/${file}`);
    expect(scenario.name).toBe(file.replace(/\.yaml$/, ''));
    const cluster = await startFakeCluster({ scenario: `${SCENARIOS_DIR}/${file}`, tls: false });
    try {
      expect(cluster.store.count('nodes')).toBeGreaterThan(0);
    } finally {
      await cluster.stop();
    }
  });

  it('kind-example-dra scenarios serve dra-example-driver slices on both workers for every version', async () => {
    for (const v of ['1.33', '1.34', '1.35', '1.36', '1.37']) {
      const cluster = await startFakeCluster({ scenario: `kind-example-dra-${v}`, tls: false });
      try {
        const preferred = v === '1.33' ? 'v1beta2' : 'v1';
        const slices = (await raw(cluster, 'GET', `/apis/resource.k8s.io/${preferred}/resourceslices`)).json as {
          items: { spec: { nodeName: string; devices: { name: string }[] } }[];
        };
        expect(slices.items.map((s) => s.spec.nodeName).sort()).toEqual(['ai-conformance-worker', 'ai-conformance-worker2']);
        expect(slices.items[0]?.spec.devices.map((d) => d.name)).toEqual([
          'gpu-0',
          'gpu-1',
          'gpu-2',
          'gpu-3',
          'gpu-4',
          'gpu-5',
          'gpu-6',
          'gpu-7',
        ]);
        expect((await raw(cluster, 'GET', `/apis/resource.k8s.io/${preferred}/deviceclasses/gpu.example.com`)).status).toBe(200);
      } finally {
        await cluster.stop();
      }
    }
  });

  it('reports a bad include and an unknown behaviour clearly', async () => {
    await expect(startFakeCluster({ scenario: { name: 'x', kubernetesVersion: '1.35', include: ['addons/nope.yaml'] } })).rejects.toThrow(
      /addons\/nope\.yaml: cannot be read/,
    );
    await expect(
      startFakeCluster({ scenario: { name: 'x', kubernetesVersion: '1.35', behaviours: { 'no-such-thing': {} } } }),
    ).rejects.toThrow(/unknown behaviour "no-such-thing"/);
  });

  it('large-1.35 generates 5,000 nodes and 100,000 pods and pages through them', async () => {
    const t0 = performance.now();
    const cluster = await startFakeCluster({ scenario: 'large-1.35', tls: false });
    try {
      expect(cluster.store.count('nodes')).toBe(5003);
      expect(cluster.store.count('pods')).toBe(100_000);
      const started = performance.now() - t0;
      cluster.resetStats();
      const page = await raw(cluster, 'GET', '/api/v1/pods?limit=500');
      expect((page.json.items as unknown[]).length).toBe(500);
      expect((page.json.metadata as { remainingItemCount: number }).remainingItemCount).toBe(cluster.store.count('pods') - 500);
      const stats = cluster.stats();
      expect(stats.requests).toBe(1);
      expect(stats.byVerb.list).toBe(1);
      expect(stats.bytes).toBeGreaterThan(100_000);
      console.info(`large-1.35 started in ${Math.round(started)} ms; one 500-pod page is ${stats.bytes} bytes`);
    } finally {
      await cluster.stop();
    }
  }, 120_000);
});
