// Discovery: aggregated where served (two requests, sent together, answer every group/version's
// resources), the legacy documents where not (each group/version's resources fetched once).
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { ApiClient } from '../../src/kube/api.js';
import { DISCOVERY_ACCEPT, Discovery } from '../../src/kube/discovery.js';

let cluster: FakeCluster | undefined;
let server: Server | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

describe('Discovery', () => {
  it('asks for aggregated discovery and answers every resource lookup from its two documents', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'discovery', kubernetesVersion: '1.35', nodes: [{ name: 'n1' }] }, tls: false });
    const discovery = new Discovery(new ApiClient(cluster.kubeConfig()));
    const before = cluster.stats().requests;
    expect(await discovery.isServed('resource.k8s.io/v1')).toBe(true);
    expect(await discovery.resourceFor('v1', 'Pod')).toEqual({ plural: 'pods', namespaced: true });
    expect(await discovery.resourceFor('resource.k8s.io/v1', 'DeviceClass')).toEqual({ plural: 'deviceclasses', namespaced: false });
    expect((await discovery.resources('v1'))?.map((r) => r.name)).toContain('pods/log');
    expect(await discovery.groupVersions('apps')).toEqual(['apps/v1']);
    expect(cluster.stats().requests - before).toBe(2);
    // A kind it does not know (a CRD installed since) is looked up once more, by the legacy document.
    await expect(discovery.resourceFor('v1', 'NoSuchKind')).rejects.toThrow('does not serve NoSuchKind in v1');
    expect(cluster.stats().requests - before).toBe(3);
  });

  it('falls back to the legacy documents where aggregated discovery is not served', async () => {
    const paths: string[] = [];
    const accepts = new Set<string>();
    const documents: Record<string, unknown> = {
      '/api': { kind: 'APIVersions', versions: ['v1'] },
      '/apis': {
        kind: 'APIGroupList',
        groups: [
          {
            name: 'example.com',
            versions: [
              { groupVersion: 'example.com/v1', version: 'v1' },
              { groupVersion: 'example.com/v2', version: 'v2' },
            ],
            preferredVersion: { groupVersion: 'example.com/v2', version: 'v2' },
          },
        ],
      },
      '/apis/example.com/v2': {
        kind: 'APIResourceList',
        groupVersion: 'example.com/v2',
        resources: [{ name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get'] }],
      },
    };
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      if (req.url === '/api' || req.url === '/apis') accepts.add(req.headers.accept ?? '');
      const document = documents[req.url ?? ''];
      res.writeHead(document ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(document ?? { kind: 'Status', code: 404 }));
    });
    await new Promise<void>((listening) => server!.listen(0, '127.0.0.1', listening));
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as { port: number }).port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const discovery = new Discovery(new ApiClient(config));
    expect(await discovery.groupVersions('example.com')).toEqual(['example.com/v2', 'example.com/v1']);
    expect(await discovery.resourceFor('example.com/v2', 'Widget')).toEqual({ plural: 'widgets', namespaced: true });
    expect(await discovery.resourceFor('example.com/v2', 'Widget')).toEqual({ plural: 'widgets', namespaced: true });
    expect(paths.sort()).toEqual(['/api', '/apis', '/apis/example.com/v2']);
    // Aggregated first, as kubectl asks; plain JSON last, which this server answered.
    expect([...accepts]).toEqual([DISCOVERY_ACCEPT]);
    expect(DISCOVERY_ACCEPT).toMatch(/^application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList,.*,application\/json$/);
  });
});
