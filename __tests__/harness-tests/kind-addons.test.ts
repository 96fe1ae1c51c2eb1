// The add-on models of the kind scenarios behave like the pinned releases: Envoy Gateway's proxy
// Service and Gateway address, Kubeflow Trainer's webhook and TrainJob lifecycle.
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCluster, KObj } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';
import { raw, waitForObject } from './helpers.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const GW = '/apis/gateway.networking.k8s.io/v1';
const conditions = (o: KObj): { type: string; status: string; reason: string; message: string }[] =>
  (o.status as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions ?? [];
const condition = (o: KObj, type: string) => conditions(o).find((c) => c.type === type);

function gateway(name: string, gatewayClassName: string): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name },
    spec: { gatewayClassName, listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
  };
}

describe('Envoy Gateway v1.9.0 on kind (kind-example-dra-1.35)', () => {
  it("the ClusterIP EnvoyProxy class gets a Programmed Gateway with the proxy Service's cluster IP", async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35', tls: false });
    const c = cluster;
    expect((await raw(c, 'POST', `${GW}/namespaces/default/gateways`, gateway('gw', 'ai-conformance'))).status).toBe(201);
    const programmed = await waitForObject(
      c,
      'gateways.gateway.networking.k8s.io',
      (g) => g.metadata.name === 'gw' && condition(g, 'Programmed')?.status === 'True',
    );
    const proxy = c.store
      .list('services', { namespace: 'envoy-gateway-system' })
      .find((s) => s.metadata.labels?.['gateway.envoyproxy.io/owning-gateway-name'] === 'gw');
    const spec = proxy?.spec as { type: string; clusterIP: string };
    expect(spec.type).toBe('ClusterIP');
    expect((programmed.status as { addresses: { value: string }[] }).addresses).toEqual([{ type: 'IPAddress', value: spec.clusterIP }]);
    expect(condition(programmed, 'Programmed')?.message).toBe('Address assigned to the Gateway, 1/1 envoy replicas available');
    await raw(c, 'DELETE', `${GW}/namespaces/default/gateways/gw`);
    await new Promise<void>((resolve) => {
      const check = (): void =>
        c.store.get('services', 'envoy-gateway-system', proxy?.metadata.name ?? '') ? void setTimeout(check, 5) : resolve();
      check();
    });
  });

  it('a class without an EnvoyProxy gets a LoadBalancer proxy Service, and on kind no address: Programmed=False AddressNotAssigned', async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35', tls: false });
    const c = cluster;
    await raw(c, 'POST', `${GW}/gatewayclasses`, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'eg' },
      spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
    });
    await raw(c, 'POST', `${GW}/namespaces/default/gateways`, gateway('lb', 'eg'));
    const stuck = await waitForObject(
      c,
      'gateways.gateway.networking.k8s.io',
      (g) => g.metadata.name === 'lb' && condition(g, 'Programmed') !== undefined,
    );
    expect(condition(stuck, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'AddressNotAssigned',
      message: 'No addresses have been assigned to the Gateway',
    });
    expect((stuck.status as { addresses?: unknown }).addresses).toBeUndefined();
    const proxy = c.store
      .list('services', { namespace: 'envoy-gateway-system' })
      .find((s) => s.metadata.labels?.['gateway.envoyproxy.io/owning-gateway-name'] === 'lb');
    expect((proxy?.spec as { type: string }).type).toBe('LoadBalancer');
  });
});

describe('Kubeflow Trainer v2.3.0 (kind-example-dra-1.35)', () => {
  const trainJob = (name: string, runtime: string): Record<string, unknown> => ({
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'TrainJob',
    metadata: { name },
    spec: {
      runtimeRef: { apiGroup: 'trainer.kubeflow.org', kind: 'ClusterTrainingRuntime', name: runtime },
      trainer: { numNodes: 2, image: 'python:3.13-slim', command: ['python', '-c', 'print(1)'] },
    },
  });

  it('its webhook denies a TrainJob naming a missing runtime with a Status; a valid one runs its nodes to Complete', async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35', tls: false });
    const c = cluster;
    const denied = await raw(
      c,
      'POST',
      '/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs?dryRun=All',
      trainJob('bad', 'no-such-runtime'),
    );
    expect(denied.status).toBe(422);
    expect(denied.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(String(denied.json.message)).toMatch(
      /^admission webhook "validator\.trainjob\.trainer\.kubeflow\.org" denied the request: spec\.runtimeRef/,
    );

    expect(
      (await raw(c, 'POST', '/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs', trainJob('ok', 'torch-distributed')))
        .status,
    ).toBe(201);
    const done = await waitForObject(
      c,
      'trainjobs.trainer.kubeflow.org',
      (t) => t.metadata.name === 'ok' && condition(t, 'Complete')?.status === 'True',
    );
    expect(condition(done, 'Complete')?.reason).toBe('JobsCompleted');
    const pods = c.store
      .list('pods', { namespace: 'default' })
      .filter((p) => p.metadata.labels?.['jobset.sigs.k8s.io/jobset-name'] === 'ok');
    expect(pods).toHaveLength(2);
    expect(pods.map((p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image)).toEqual([
      'python:3.13-slim',
      'python:3.13-slim',
    ]);
  });

  it('without its ValidatingWebhookConfiguration nothing validates TrainJobs', async () => {
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35', tls: false });
    const c = cluster;
    await raw(c, 'DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/validator.trainer.kubeflow.org');
    expect(
      (
        await raw(
          c,
          'POST',
          '/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs?dryRun=All',
          trainJob('bad', 'no-such-runtime'),
        )
      ).status,
    ).toBe(201);
  });
});
