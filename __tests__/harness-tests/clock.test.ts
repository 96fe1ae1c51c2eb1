// The realistic clock: behaviours a scenario runs get their upstream default times, scaled.
import { afterEach, describe, expect, it } from 'vitest';
import { REALISTIC_TIMES, withClock } from '../harness/clock.js';
import type { FakeCluster, KObj } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';
import { normaliseScenario } from '../harness/scenario.js';
import { SCENARIOS_DIR } from '../harness/index.js';
import { raw, waitForObject } from './helpers.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('withClock', () => {
  const base = normaliseScenario('gpu-nvidia-1.35', SCENARIOS_DIR);

  it('leaves a scenario alone unless asked', () => {
    expect(withClock(base, undefined)).toBe(base);
    expect(withClock(base, { realistic: false })).toBe(base);
  });

  it('gives the behaviours the scenario runs their upstream times, scaled; switched-off ones stay off', () => {
    const realistic = withClock({ ...base, behaviours: { ...base.behaviours, gateway: false } }, { realistic: true, scale: 0.1 });
    expect(realistic.behaviours?.hpa).toMatchObject({ syncMs: 1_500, timeScale: 0.1 });
    expect(realistic.behaviours?.['cluster-autoscaler']).toMatchObject({ scaleUpDelayMs: 1_000, scaleDownDelayMs: 60_000 });
    expect(realistic.behaviours?.prometheus).toMatchObject({ scrapeDelayMs: 3_000, namespace: 'monitoring' });
    expect(realistic.behaviours?.kubelet).toMatchObject({ startDelayMs: 200 });
    expect(realistic.behaviours?.gateway).toBe(false);
    // Behaviours the scenario does not run are not switched on.
    expect(withClock(normaliseScenario('bare-1.35', SCENARIOS_DIR), { realistic: true }).behaviours?.hpa).toBeUndefined();
    expect(REALISTIC_TIMES.hpa.syncMs).toBe(15_000);
  });
});

describe('the realistic clock in a running fake', () => {
  it("a Gateway is Programmed only after Envoy Gateway's programming time", async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35', tls: false, clock: { realistic: true, scale: 0.02 } });
    const c = cluster;
    const started = performance.now();
    await raw(c, 'POST', '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw' },
      spec: { gatewayClassName: 'ai-conformance', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
    });
    const programmed = (g: KObj): boolean => JSON.stringify(g.status ?? {}).includes('"type":"Programmed","status":"True"');
    await waitForObject(c, 'gateways.gateway.networking.k8s.io', (g) => g.metadata.name === 'gw' && programmed(g));
    // 15 s x 0.02 = 300 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});
