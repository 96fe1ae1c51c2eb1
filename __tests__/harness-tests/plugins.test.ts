// The controller plugin interface: service proxy and aggregated API registration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLERS } from '../harness/controllers/index.js';
import type { FakeCluster } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';
import { raw } from './helpers.js';

describe('controller plugins', () => {
  let cluster: FakeCluster;
  beforeAll(async () => {
    CONTROLLERS['test-plugin'] = (ctx) => ({
      start() {
        ctx.registerServiceProxy('monitoring', 'metrics', 9400, (req) => ({
          body: `path=${req.path} q=${req.query.get('x') ?? ''} greeting=${String(ctx.params.greeting)}\n`,
          contentType: 'text/plain; version=0.0.4',
        }));
        ctx.registerAggregatedApi({
          group: 'custom.metrics.k8s.io',
          version: 'v1beta1',
          resources: [
            { resource: 'pods/gpu_util', singular: '', kind: 'MetricValueList', namespaced: true, verbs: ['get'], subresources: [] },
          ],
          handler: (req) => ({
            body: { kind: 'MetricValueList', apiVersion: 'custom.metrics.k8s.io/v1beta1', metadata: {}, items: [], path: req.path },
          }),
        });
      },
    });
    cluster = await startFakeCluster({
      scenario: {
        name: 'plugins',
        kubernetesVersion: '1.35',
        behaviours: { 'test-plugin': { greeting: 'hi' } },
        objects: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'metrics', namespace: 'monitoring' },
            spec: { ports: [{ name: 'http-metrics', port: 9400 }] },
          },
        ],
      },
      tls: false,
    });
  });
  afterAll(async () => {
    delete CONTROLLERS['test-plugin'];
    await cluster.stop();
  });

  it('serves a service proxy by port number or name, with or without scheme, and 404/503 otherwise', async () => {
    for (const name of ['metrics:9400', 'http:metrics:9400', 'metrics:http-metrics', 'metrics']) {
      const res = await raw(cluster, 'GET', `/api/v1/namespaces/monitoring/services/${name}/proxy/metrics?x=1`);
      expect(res.status, name).toBe(200);
      expect(res.text).toBe('path=/metrics q=1 greeting=hi\n');
      expect(res.contentType).toContain('text/plain');
    }
    expect((await raw(cluster, 'GET', '/api/v1/namespaces/monitoring/services/absent:80/proxy/')).json).toMatchObject({
      kind: 'Status',
      code: 404,
    });
    await raw(cluster, 'POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'idle' },
      spec: { ports: [{ port: 80 }] },
    });
    expect((await raw(cluster, 'GET', '/api/v1/namespaces/default/services/idle:80/proxy/')).json).toMatchObject({
      kind: 'Status',
      code: 503,
    });
  });

  it('serves an aggregated API and lists it in both discovery forms', async () => {
    const res = await raw(cluster, 'GET', '/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/*/gpu_util');
    expect(res.json).toMatchObject({ kind: 'MetricValueList', path: '/namespaces/default/pods/*/gpu_util' });
    const legacy = (await raw(cluster, 'GET', '/apis/custom.metrics.k8s.io/v1beta1')).json as { resources: { name: string }[] };
    expect(legacy.resources.map((r) => r.name)).toEqual(['pods/gpu_util']);
    const agg = (
      await raw(cluster, 'GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' })
    ).json as { items: { metadata: { name: string } }[] };
    expect(agg.items.map((i) => i.metadata.name)).toContain('custom.metrics.k8s.io');
  });
});
