// The real kubectl as an independent client of the fake cluster.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCluster } from '../harness/index.js';
import { startFakeCluster } from '../harness/index.js';

const run = promisify(execFile);
const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const DISCOVERY = resolve(__dirname, '..', '..', 'fixtures', 'discovery');

if (!KUBECTL) {
  // Said visibly: these tests are skipped, not passed.
  console.warn('kubectl is not installed: the kubectl tests of the fake cluster are SKIPPED');
}

describe.skipIf(!KUBECTL)('kubectl against the fake cluster (kind-example-dra-1.35)', () => {
  let cluster: FakeCluster;
  let dir: string;
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run('kubectl', ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args], {
      encoding: 'utf8',
    });
    return stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-test-'));
    cluster = await startFakeCluster({ scenario: 'kind-example-dra-1.35' });
  });
  afterAll(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('get nodes -o json lists the scenario nodes over TLS with the bearer token', async () => {
    const list = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as {
      kind: string;
      items: { metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string } } }[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((n) => n.metadata.name).sort()).toEqual([
      'ai-conformance-control-plane',
      'ai-conformance-worker',
      'ai-conformance-worker2',
    ]);
    expect(list.items[0]?.status.nodeInfo.kubeletVersion).toBe('v1.35.0');
  });

  it('version reports the scenario version', async () => {
    const v = JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string; minor: string } };
    expect(v.serverVersion.minor).toBe('35');
  });

  it('api-resources lists what the 1.35 discovery documents list', async () => {
    const out = await kubectl('api-resources', '--no-headers');
    const served = new Set(
      out
        .trim()
        .split('\n')
        .map((line) => {
          const cols = line.trim().split(/\s+/);
          return `${cols[0]} ${cols[cols.length - 3]}`;
        }),
    );
    const expected: string[] = [];
    const fromList = (file: string): void => {
      const doc = JSON.parse(readFileSync(join(DISCOVERY, file), 'utf8')) as { groupVersion: string; resources: { name: string }[] };
      for (const r of doc.resources) if (!r.name.includes('/')) expected.push(`${r.name} ${doc.groupVersion}`);
    };
    for (const f of [
      'api__v1.json',
      'apis__apps__v1.json',
      'apis__batch__v1.json',
      'apis__autoscaling__v2.json',
      'apis__apiextensions.k8s.io__v1.json',
      'apis__resource.k8s.io__v1.json',
    ])
      fromList(f);
    // Every other GA group of the matched /apis + aggregated pair, at its preferred version.
    const apis = JSON.parse(readFileSync(join(DISCOVERY, 'k8s-master-9d2a8fb7.aggregated_v2.json'), 'utf8')) as {
      items: { metadata: { name: string }; versions: { version: string; resources: { resource: string }[] }[] }[];
    };
    for (const g of apis.items) {
      if (['apps', 'batch', 'autoscaling', 'apiextensions.k8s.io', 'resource.k8s.io', 'storagemigration.k8s.io'].includes(g.metadata.name))
        continue;
      const ga = g.versions.find((v) => /^v\d+$/.test(v.version));
      if (ga) for (const r of ga.resources) expected.push(`${r.resource} ${g.metadata.name}/${ga.version}`);
    }
    for (const e of expected) expect(served, e).toContain(e);
    // Built-in alpha APIs are off by default and must not show up (the add-ons' CRDs, such as
    // Kubeflow Trainer's trainer.kubeflow.org/v1alpha1, serve their own alpha versions).
    const fromCrds = new Set(
      cluster.registry
        .all()
        .filter((gv) => gv.source !== 'builtin')
        .map((gv) => `${gv.group}/${gv.version}`),
    );
    expect([...served].filter((s) => !fromCrds.has(s.split(' ')[1] ?? '')).some((s) => /v\d+alpha\d+$/.test(s))).toBe(false);
    expect(fromCrds).toContain('trainer.kubeflow.org/v1alpha1');
    // Nothing else built in: the rest comes from the scenario's CRDs and aggregated APIs.
    const builtin = new Set(
      cluster.registry
        .all()
        .filter((gv) => gv.source === 'builtin')
        .map((gv) => (gv.group ? `${gv.group}/${gv.version}` : gv.version)),
    );
    const servedBuiltin = [...served].filter((s) => builtin.has(s.split(' ')[1] ?? ''));
    expect(servedBuiltin.sort()).toEqual([...new Set(expected)].sort());
  });

  it('apply -f of a namespace, a DRA claim template and a pod; get pods -w sees Running; logs; delete namespace', async () => {
    const manifest = join(dir, 'pod.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1
kind: Namespace
metadata:
  name: kubectl-e2e
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata:
  namespace: kubectl-e2e
  name: single-gpu
spec:
  spec:
    devices:
      requests:
      - name: gpu
        exactly:
          deviceClassName: gpu.example.com
---
apiVersion: v1
kind: Pod
metadata:
  namespace: kubectl-e2e
  name: gpu-pod
spec:
  containers:
  - name: ctr0
    image: busybox
    command: ["sh", "-c", "for v in $(env | sed -n 's/^GPU_DEVICE_[0-9][0-9]*=//p'); do :; done; echo AI_CONFORMANCE_RESULT; sleep 3600"]
    resources:
      claims:
      - name: gpu
  resourceClaims:
  - name: gpu
    resourceClaimTemplateName: single-gpu
`,
    );
    // Start watching before the pod exists, as a user would.
    const watcher = spawn(
      'kubectl',
      ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', join(dir, 'cache'), 'get', 'pods', '-n', 'kubectl-e2e', '-w'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const sawRunning = new Promise<string>((resolveSeen, reject) => {
      let seen = '';
      watcher.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/gpu-pod\s+1\/1\s+Running/.test(seen)) resolveSeen(seen);
      });
      watcher.on('exit', (code) => reject(new Error(`kubectl get -w exited ${String(code)}: ${seen}`)));
    });
    const applied = await kubectl('apply', '-f', manifest);
    expect(applied).toContain('pod/gpu-pod created');
    expect(applied).toContain('resourceclaimtemplate.resource.k8s.io/single-gpu created');
    const seen = await sawRunning;
    watcher.kill();
    expect(seen).toMatch(/gpu-pod/);

    const logs = await kubectl('logs', '-n', 'kubectl-e2e', 'gpu-pod');
    expect(logs).toMatch(/^AI_CONFORMANCE_RESULT \{"devices":\["gpu-[0-7]"\]\}\n$/);

    const claims = JSON.parse(await kubectl('get', 'resourceclaims', '-n', 'kubectl-e2e', '-o', 'json')) as {
      items: { status: { allocation: { devices: { results: { device: string }[] } } } }[];
    };
    expect(claims.items).toHaveLength(1);
    expect(logs).toContain(claims.items[0]?.status.allocation.devices.results[0]?.device ?? 'none');

    const deleted = await kubectl('delete', 'namespace', 'kubectl-e2e', '--wait=true', '--timeout=20s');
    expect(deleted).toContain('namespace "kubectl-e2e" deleted');
    expect(cluster.store.list('pods', { namespace: 'kubectl-e2e' })).toEqual([]);
    expect(cluster.store.list('resourceclaims.resource.k8s.io', { namespace: 'kubectl-e2e' })).toEqual([]);
    await expect(kubectl('get', 'namespace', 'kubectl-e2e')).rejects.toThrow(/NotFound/);
  });
  it("create -f, apply, patch and delete built-in and custom objects; kubectl's strict validation refuses unknown fields", async () => {
    const manifest = join(dir, 'objects.yaml');
    const objects = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
data:
  mode: a
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata:
  name: kubectl-flavor
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata:
  name: kubectl-queue
spec:
  namespaceSelector: {}
`;
    writeFileSync(manifest, objects);
    const created = await kubectl('create', '-f', manifest);
    expect(created).toContain('configmap/settings created');
    expect(created).toContain('clusterqueue.kueue.x-k8s.io/kubectl-queue created');
    // Defaults of the real schema were applied on the way in.
    expect(await kubectl('get', 'clusterqueue', 'kubectl-queue', '-o', 'jsonpath={.spec.queueingStrategy}')).toBe('BestEffortFIFO');

    writeFileSync(manifest, objects.replace('mode: a', 'mode: b'));
    expect(await kubectl('apply', '-f', manifest)).toContain('configmap/settings configured');
    expect(await kubectl('get', 'configmap', 'settings', '-o', 'jsonpath={.data.mode}')).toBe('b');

    expect(await kubectl('patch', 'configmap', 'settings', '-p', '{"data":{"extra":"1"}}')).toContain('configmap/settings patched');
    expect(
      await kubectl('patch', 'clusterqueue', 'kubectl-queue', '--type', 'merge', '-p', '{"spec":{"queueingStrategy":"StrictFIFO"}}'),
    ).toContain('patched');
    expect(await kubectl('patch', 'configmap', 'settings', '--type', 'json', '-p', '[{"op":"remove","path":"/data/extra"}]')).toContain(
      'patched',
    );
    expect(await kubectl('get', 'clusterqueue', 'kubectl-queue', '-o', 'jsonpath={.spec.queueingStrategy}')).toBe('StrictFIFO');

    // The schema refuses what it does not allow; kubectl asks for strict field validation.
    await expect(
      kubectl('patch', 'clusterqueue', 'kubectl-queue', '--type', 'merge', '-p', '{"spec":{"queueingStrategy":"Random"}}'),
    ).rejects.toThrow(/Unsupported value: "Random"/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: default\ndatta:\n  a: b\n');
    await expect(kubectl('create', '-f', bad)).rejects.toThrow(/strict decoding error: unknown field "datta"/);

    const deleted = await kubectl('delete', '-f', manifest);
    expect(deleted).toContain('configmap "settings" deleted');
    expect(deleted).toContain('clusterqueue.kueue.x-k8s.io "kubectl-queue" deleted');
    expect(cluster.store.get('configmaps', 'default', 'settings')).toBeUndefined();
  });

  it('typed commands, which send protobuf (create namespace|configmap|secret|serviceaccount, auth can-i), work; other kinds get a 415 naming them', async () => {
    expect(await kubectl('create', 'namespace', 'typed-e2e', '--dry-run=server')).toContain('namespace/typed-e2e created (server dry run)');
    expect(cluster.store.get('namespaces', undefined, 'typed-e2e')).toBeUndefined();
    expect(await kubectl('create', 'namespace', 'typed-e2e')).toContain('namespace/typed-e2e created');
    expect(cluster.store.get('namespaces', undefined, 'typed-e2e')?.metadata.labels).toMatchObject({
      'kubernetes.io/metadata.name': 'typed-e2e',
    });

    expect(await kubectl('create', 'configmap', 'settings', '-n', 'typed-e2e', '--from-literal=mode=a', '--from-literal=size=2')).toContain(
      'configmap/settings created',
    );
    expect(cluster.store.get('configmaps', 'typed-e2e', 'settings')?.data).toEqual({ mode: 'a', size: '2' });
    expect(await kubectl('create', 'secret', 'generic', 'token', '-n', 'typed-e2e', '--from-literal=key=s3cr3t')).toContain(
      'secret/token created',
    );
    expect(cluster.store.get('secrets', 'typed-e2e', 'token')?.data).toEqual({ key: Buffer.from('s3cr3t').toString('base64') });
    expect(await kubectl('create', 'serviceaccount', 'runner', '-n', 'typed-e2e')).toContain('serviceaccount/runner created');
    expect(cluster.store.get('serviceaccounts', 'typed-e2e', 'runner')).toBeDefined();

    expect((await kubectl('auth', 'can-i', 'create', 'pods', '-n', 'typed-e2e')).trim()).toBe('yes');

    // Not decoded by the fake: refused, saying so, rather than stored wrong.
    await expect(kubectl('create', 'deployment', 'web', '--image=busybox', '-n', 'typed-e2e')).rejects.toThrow(
      /decodes protobuf only for v1\/Namespace, .* not apps\/v1\/Deployment; send application\/json/,
    );
    expect(await kubectl('delete', 'namespace', 'typed-e2e', '--wait=true', '--timeout=20s')).toContain('namespace "typed-e2e" deleted');
  });
});

describe.skipIf(!KUBECTL)('kubectl auth can-i against the fake cluster with RBAC denials', () => {
  let cluster: FakeCluster;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-rbac-'));
    cluster = await startFakeCluster({
      scenario: {
        name: 'rbac',
        kubernetesVersion: '1.35',
        rbac: { user: 'ci', deny: [{ verbs: ['create'], resources: ['deployments.apps'] }] },
      },
    });
  });
  afterAll(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers no for what the scenario denies and yes for the rest (a protobuf SelfSubjectAccessReview)', async () => {
    const canI = (...args: string[]) =>
      run('kubectl', ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', join(dir, 'cache'), 'auth', 'can-i', ...args], {
        encoding: 'utf8',
      });
    await expect(canI('create', 'deployments.apps', '-n', 'default')).rejects.toMatchObject({
      code: 1,
      stdout: 'no - denied by the scenario RBAC rules\n',
    });
    expect((await canI('create', 'configmaps', '-n', 'default')).stdout).toBe('yes\n');
  });
});
