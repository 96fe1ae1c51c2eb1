import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { ClusterUnreachableError, UsageError } from '../../src/errors.js';
import { catalogVersion, serverVersion } from '../../src/kube/connect.js';
import { loadKubeconfig } from '../../src/kube/kubeconfig.js';

const loadKubeConfig = (source: { kubeconfig: string; context?: string }) =>
  loadKubeconfig({ kind: 'files', files: [source.kubeconfig], from: 'flag' }, source.context);
import { KubeSession } from '../../src/kube/client.js';
import { detectProfile } from '../../src/probes/profiles.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const tmp = () => mkdtempSync(path.join(tmpdir(), 'aic-connect-'));

describe('connecting', () => {
  it('reads the server version over TLS and maps it to the catalog', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'c', kubernetesVersion: '1.34' }, tls: true });
    const { config, origin } = loadKubeConfig({ kubeconfig: cluster.kubeconfigPath });
    expect(origin).toBe(`kubeconfig ${cluster.kubeconfigPath}`);
    const info = await serverVersion(config);
    expect(info).toEqual({ gitVersion: 'v1.34.0', simulated: true });
    expect(catalogVersion(undefined, info.gitVersion)).toBe('1.34');
    expect(catalogVersion('1.36', info.gitVersion)).toBe('1.36');
  });

  it('rejects versions the catalog does not cover, in one line', () => {
    expect(() => catalogVersion(undefined, 'v1.31.2')).toThrow(UsageError);
    expect(() => catalogVersion('1.99', 'v1.35.0')).toThrow(/unsupported --kubernetes-version '1.99'/);
  });

  it('a wrong token is exit 3 and the token is never printed', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'c', kubernetesVersion: '1.35' }, tls: false });
    const text = readFileSync(cluster.kubeconfigPath, 'utf8');
    const token = /token: (\S+)/.exec(text)![1];
    const file = path.join(tmp(), 'kubeconfig');
    writeFileSync(file, text.replace(token, 'expired-token-value'));
    const error = await serverVersion(loadKubeConfig({ kubeconfig: file }).config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as Error).message).toMatch(/401/);
    expect((error as Error).message).not.toContain('expired-token-value');
  });

  it('an unreachable server is exit 3 in one line', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'c', kubernetesVersion: '1.35' }, tls: false });
    const text = readFileSync(cluster.kubeconfigPath, 'utf8');
    await cluster.stop();
    cluster = undefined;
    const file = path.join(tmp(), 'kubeconfig');
    writeFileSync(file, text);
    const error = await serverVersion(loadKubeConfig({ kubeconfig: file }).config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as Error).message).toMatch(/^cannot reach cluster http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('a certificate the kubeconfig does not trust is exit 3', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'c', kubernetesVersion: '1.35' }, tls: true });
    const text = readFileSync(cluster.kubeconfigPath, 'utf8').replace(/certificate-authority-data: \S+/, '');
    const file = path.join(tmp(), 'kubeconfig');
    writeFileSync(file, text);
    await expect(serverVersion(loadKubeConfig({ kubeconfig: file }).config)).rejects.toThrow(ClusterUnreachableError);
  });

  it('bad kubeconfig paths, files and contexts are usage errors', () => {
    expect(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' })).toThrow(UsageError);
    const file = path.join(tmp(), 'kubeconfig');
    writeFileSync(file, 'not: [valid');
    expect(() => loadKubeConfig({ kubeconfig: file })).toThrow(/is not valid YAML/);
  });

  it('rejects an unknown context', async () => {
    cluster = await startFakeCluster({ scenario: { name: 'c', kubernetesVersion: '1.35' }, tls: false });
    expect(() => loadKubeConfig({ kubeconfig: cluster!.kubeconfigPath, context: 'nope' })).toThrow(/context 'nope' is not in kubeconfig /);
  });
});

describe('accelerator detection', () => {
  it('finds the example DeviceClass', async () => {
    cluster = await startFakeCluster({
      tls: false,
      scenario: {
        name: 'd',
        kubernetesVersion: '1.35',
        objects: [{ apiVersion: 'resource.k8s.io/v1', kind: 'DeviceClass', metadata: { name: 'gpu.example.com' }, spec: {} }],
      },
    });
    const kube = new KubeSession(cluster.kubeConfig(), 'r1').forProbe({ probeId: 'd', namespace: 'default' });
    expect(await detectProfile(kube)).toMatchObject({
      name: 'example',
      detected: true,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types its asymmetric matchers as any
      detail: expect.stringContaining('gpu.example.com'),
    });
  });

  it('finds nvidia.com/gpu on nodes at the same cost on 5,000 nodes as on 3', async () => {
    const costOn = async (count: number) => {
      cluster = await startFakeCluster({
        tls: false,
        scenario: {
          name: 'n',
          kubernetesVersion: '1.35',
          nodes: [{ name: 'a-gpu', labels: { 'nvidia.com/gpu.present': 'true' }, allocatable: { 'nvidia.com/gpu': '8' } }],
          generate: { nodes: { count } },
        },
      });
      cluster.resetStats();
      const kube = new KubeSession(cluster.kubeConfig(), 'r1').forProbe({ probeId: 'd', namespace: 'default' });
      const profile = await detectProfile(kube);
      const stats = cluster.stats();
      await cluster.stop();
      cluster = undefined;
      return { profile, stats };
    };
    const small = await costOn(2);
    const large = await costOn(4_999);
    expect(small.profile).toMatchObject({ name: 'nvidia', resourceName: 'nvidia.com/gpu' });
    expect(large.profile).toMatchObject({ name: 'nvidia' });
    expect(large.stats.requests).toBe(small.stats.requests);
    expect(large.stats.bytes).toBeLessThanOrEqual(small.stats.bytes * 1.2);
  });
});
