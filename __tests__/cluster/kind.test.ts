import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createKindCluster, deleteKindCluster } from '../../src/cluster/kind.js';
import { provisionCluster } from '../../src/cluster/index.js';
import { removeWorkDirsNow } from '../../src/cluster/workdirs.js';
import { ProvisionError } from '../../src/cluster/errors.js';
import { exitCodeOf } from '../../src/errors.js';
import { NODE_IMAGES } from '../../src/cluster/pins.js';
import type { KindClusterConfig } from '../../src/cluster/kindConfig.js';
import { failure, makeStandIns, type StandIns } from './standins.js';

let standIns: StandIns | undefined;
afterEach(() => {
  standIns?.cleanup();
  standIns = undefined;
});

/** The containerd patches of the kind config the stand-in kind was given. */
function patchesOf(s: StandIns): string[] {
  return (parse(s.kindConfig() ?? '') as { containerdConfigPatches: string[] }).containerdConfigPatches;
}

function setup(env: NodeJS.ProcessEnv = {}, tools?: string[]): StandIns {
  standIns = makeStandIns(tools, env);
  return standIns;
}

describe('kind provider command lines', () => {
  it('checks docker, creates the cluster, installs the driver pinned for 1.35 and watches for ResourceSlices', async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.35', env: s.env, waitTimeoutMs: 20_000 });
    const kubeconfig = cluster.kubeconfigPath;
    const calls = s.calls();
    const configPath = calls[2]?.[calls[2].indexOf('--config') + 1];
    expect(calls).toEqual([
      ['docker', 'info', '--format', '{{.ServerVersion}}'],
      ['kind', 'get', 'clusters'],
      [
        'kind',
        'create',
        'cluster',
        '--name',
        'ai-conformance',
        '--image',
        NODE_IMAGES['1.35'],
        '--config',
        configPath,
        '--kubeconfig',
        kubeconfig,
        '--wait',
        '20s',
      ],
      [
        'helm',
        'upgrade',
        '--install',
        'dra-example-driver',
        'oci://registry.k8s.io/dra-example-driver/charts/dra-example-driver',
        '--version',
        '0.4.0',
        '--namespace',
        'dra-example-driver',
        '--create-namespace',
        '--wait',
        '--timeout',
        '20s',
        '--kubeconfig',
        kubeconfig,
        '--kube-context',
        'kind-ai-conformance',
      ],
      [
        'kubectl',
        '--kubeconfig',
        kubeconfig,
        '--context',
        'kind-ai-conformance',
        'get',
        'resourceslices',
        '--field-selector',
        'spec.driver=gpu.example.com',
        '--watch',
        '--output',
        'name',
      ],
    ]);
    expect((parse(s.kindConfig() ?? '') as KindClusterConfig).nodes).toHaveLength(3);
    expect(cluster.context).toBe('kind-ai-conformance');
    expect(cluster.created).toBe(true);
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);

    await cluster.remove();
    expect(s.calls().at(-1)).toEqual(['kind', 'delete', 'cluster', '--name', 'ai-conformance']);
    expect(existsSync(kubeconfig)).toBe(false);
  });

  it('uses the 1.33 chart and config, and a node image override', async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.33', name: 'pr-7', nodeImage: 'example.com/node:v1.33.0', env: s.env });
    const calls = s.calls();
    expect(calls[2]).toContain('example.com/node:v1.33.0');
    expect(calls[3]?.slice(0, 7)).toEqual([
      'helm',
      'upgrade',
      '--install',
      'dra-example-driver',
      'oci://registry.k8s.io/dra-example-driver/charts/dra-example-driver',
      '--version',
      '0.2.0',
    ]);
    expect(calls[3]).toContain('kind-pr-7');
    expect((parse(s.kindConfig() ?? '') as KindClusterConfig).featureGates).toEqual({ DynamicResourceAllocation: true });
    await cluster.remove();
  });

  it('reuses an existing cluster of the same name and never deletes it', async () => {
    const s = setup({ STANDIN_KIND_CLUSTERS: 'other\nai-conformance' });
    const cluster = await createKindCluster({ kubernetesVersion: '1.34', env: s.env });
    expect(cluster.created).toBe(false);
    expect(s.calls().map((c) => c.slice(0, 3))).toContainEqual(['kind', 'get', 'kubeconfig']);
    expect(s.calls().some((c) => c[1] === 'create')).toBe(false);
    expect(readFileSync(cluster.kubeconfigPath, 'utf8')).toContain('kind-ai-conformance');
    await cluster.remove();
    expect(s.calls().some((c) => c[1] === 'delete')).toBe(false);
  });

  it('refuses to reuse a cluster of the same name running another Kubernetes version', async () => {
    const s = setup({ STANDIN_KIND_CLUSTERS: 'ai-conformance', STANDIN_NODE_IMAGE: 'kindest/node:v1.33.1@sha256:0123' });
    const error = await createKindCluster({ kubernetesVersion: '1.35', env: s.env }).catch((e: unknown) => e);
    expect(String(error)).toContain('kind cluster ai-conformance already exists with Kubernetes 1.33');
    expect(exitCodeOf(error)).toBe(2);
    expect(s.calls().some((c) => c[1] === 'delete')).toBe(false);
    expect(s.calls().some((c) => c[0] === 'helm')).toBe(false);
  });

  it('installs every add-on, each followed by its wait, when asked (1.37: the inference and sandbox SHOULDs too)', async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.37', addons: true, env: s.env });
    const calls = s.calls().slice(5);
    const summary = calls.map((c) => `${c[0]} ${c[1]} ${c[1] === 'upgrade' ? c[3] : (c[2] ?? '')}`);
    expect(summary).toEqual([
      'kubectl apply --server-side',
      'kubectl wait --for=condition=Established',
      'helm upgrade eg',
      'kubectl wait --for=condition=Established',
      'kubectl wait --for=jsonpath={.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}=v1.6.1',
      'kubectl apply -f',
      'kubectl wait --for=condition=Accepted',
      'helm upgrade aieg-crd',
      'helm upgrade aieg',
      'kubectl wait --for=condition=Available',
      'kubectl apply -f',
      'kubectl wait --for=condition=Available',
      'kubectl wait --for=jsonpath={.status.parents[0].conditions[?(@.type=="ResolvedRefs")].status}=True',
      'helm upgrade kueue',
      'helm upgrade gpu-operator',
      'kubectl wait --for=jsonpath={.status.allocatable.nvidia\\.com/gpu}',
      'helm upgrade kube-prometheus-stack',
      'kubectl wait --for=condition=Available',
      'kubectl apply -f',
      'helm upgrade prometheus-adapter',
      'kubectl wait --for=condition=Available',
      'kubectl apply --server-side',
      'kubectl wait --for=condition=Available',
      'kubectl apply --server-side',
      'kubectl wait --for=create',
      'docker exec ai-conformance-control-plane',
      'docker exec ai-conformance-worker',
      'docker exec ai-conformance-worker2',
      'kubectl apply -f',
    ]);
    // Each pinned release, from its project's documented source.
    const versionOf = (release: string): string | undefined => {
      const call = calls.find((c) => c[0] === 'helm' && c[3] === release);
      return call?.[call.indexOf('--version') + 1];
    };
    expect(versionOf('eg')).toBe('v1.9.0');
    expect(versionOf('kueue')).toBe('0.19.2');
    expect(versionOf('kube-prometheus-stack')).toBe('88.5.3');
    expect(calls.some((c) => c.includes('https://github.com/kubeflow/trainer.git/manifests/overlays/manager?ref=v2.3.0'))).toBe(true);
    expect(versionOf('aieg')).toBe('v1.1.0');
    expect(
      calls.some((c) =>
        c.includes('https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/v1.6.0/manifests.yaml'),
      ),
    ).toBe(true);
    // Every call targets the new cluster, never whatever the user's current context is; docker reaches its nodes by name.
    for (const call of calls.filter((c) => c[0] !== 'docker')) expect(call).toContain(cluster.kubeconfigPath);
    for (const call of calls.filter((c) => c[0] === 'docker')) expect(call[2]).toMatch(/^ai-conformance-(control-plane|worker2?)$/);
    // With the add-ons, containerd gets gVisor's runtime handler at creation.
    expect(patchesOf(s)[1]).toMatch(
      /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.runsc\]\s+runtime_type = "io\.containerd\.runsc\.v1"/,
    );
    for (const call of calls.filter((c) => c[0] === 'helm')) {
      expect(call).toContain('--version');
      expect(call).toContain('--wait');
    }
    const stdin = readFileSync(`${s.dir}/stdin.log`, 'utf8');
    expect(stdin).toContain('kind: GatewayClass');
    // kind has no load balancer: the proxy Service must be ClusterIP for the Gateway to get an address.
    expect(stdin).toMatch(/kind: EnvoyProxy[\s\S]*envoyService:\s+type: ClusterIP/);
    expect(stdin).toMatch(/kind: ServiceMonitor[\s\S]*release: kube-prometheus-stack/);
    // Envoy Gateway is told to route InferencePool backends through Envoy AI Gateway's extension server.
    expect(stdin).toMatch(/backendResources:\s+- group: inference\.networking\.k8s\.io\s+kind: InferencePool\s+version: v1/);
    expect(stdin).toMatch(/hostname: ai-gateway-controller\.envoy-ai-gateway-system\.svc\.cluster\.local/);
    expect(stdin).toMatch(/kind: InferencePool[\s\S]*endpointPickerRef:/);
    expect(stdin).toContain('image: ghcr.io/llm-d/llm-d-inference-sim:v0.8.2');
    expect(stdin).toContain('kind: RuntimeClass\nmetadata:\n  name: gvisor\nhandler: runsc\n');
    await cluster.remove();
  });

  it('kind down deletes the named cluster', async () => {
    const s = setup();
    await deleteKindCluster({ name: 'pr-9', env: s.env });
    expect(s.calls()).toEqual([['kind', 'delete', 'cluster', '--name', 'pr-9']]);
  });

  it('provisionCluster keeps the cluster with keepCluster and deletes it otherwise', async () => {
    const s = setup();
    const workDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('ai-conformance-kind-'));
    const before = workDirs();
    const kept = await provisionCluster({ cluster: 'kind', kubernetesVersion: '1.36', keepCluster: true, env: s.env });
    // The provider hands over the loaded kubeconfig; its file sits in the run's work directory until cleanup.
    expect(kept.kubeConfig.getCurrentContext()).toBe(kept.context);
    const workDir = workDirs().filter((d) => !before.includes(d));
    expect(workDir).toHaveLength(1);
    expect(existsSync(path.join(tmpdir(), workDir[0], 'kubeconfig'))).toBe(true);
    await kept.cleanup();
    expect(s.calls().some((c) => c[1] === 'delete')).toBe(false);
    // The kept cluster's admin kubeconfig does not linger in a temp directory.
    expect(existsSync(path.join(tmpdir(), workDir[0], 'kubeconfig'))).toBe(false);
    const dropped = await provisionCluster({ cluster: 'kind', kubernetesVersion: '1.36', env: s.env });
    expect(dropped.mode).toBe('kind');
    await dropped.cleanup();
    expect(s.calls().at(-1)).toEqual(['kind', 'delete', 'cluster', '--name', 'ai-conformance']);
  });
});

describe('a forced exit (the same signal twice)', () => {
  it("removes the kind work directory, the cluster's admin kubeconfig with it, that the provider's own cleanup never got to", async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.35', env: s.env, waitTimeoutMs: 20_000 });
    const workDir = path.dirname(cluster.kubeconfigPath);
    expect(existsSync(cluster.kubeconfigPath)).toBe(true);
    expect(removeWorkDirsNow()).toEqual([workDir]);
    expect(existsSync(workDir)).toBe(false);
    // Nothing is left to remove, and the provider's own release afterwards is harmless.
    expect(removeWorkDirsNow()).toEqual([]);
    await cluster.release();
  });

  it('leaves nothing tracked once the provider released its work directory', async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.35', env: s.env, waitTimeoutMs: 20_000 });
    await cluster.release();
    expect(removeWorkDirsNow()).toEqual([]);
  });
});

describe('kind provider error paths', () => {
  it('docker missing: one line naming the install step, exit 3', async () => {
    const s = setup({}, ['kind', 'helm', 'kubectl']);
    const error = await failure(createKindCluster({ kubernetesVersion: '1.35', env: s.env }));
    expect(error).toBeInstanceOf(ProvisionError);
    expect(exitCodeOf(error)).toBe(3);
    expect(error.message).toMatch(/^docker not found on PATH: install Docker Engine/);
    expect(error.message).not.toContain('\n');
    expect(s.calls()).toEqual([]);
  });

  it('docker daemon down: says so, exit 3, nothing created', async () => {
    const s = setup({ STANDIN_DOCKER_DOWN: '1' });
    const error = await failure(createKindCluster({ kubernetesVersion: '1.35', env: s.env }));
    expect(exitCodeOf(error)).toBe(3);
    expect(error.message).toBe(
      'Docker is not running (docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?); start the Docker daemon and retry',
    );
    expect(s.calls().map((c) => c[0])).toEqual(['docker']);
  });

  it.each(['kind', 'helm', 'kubectl'])('%s missing outside Actions: names the install step', async (tool) => {
    const s = setup(
      {},
      ['docker', 'kind', 'helm', 'kubectl'].filter((t) => t !== tool),
    );
    const error = await failure(createKindCluster({ kubernetesVersion: '1.35', env: s.env }));
    expect(exitCodeOf(error)).toBe(3);
    expect(error.message).toMatch(new RegExp(`^${tool} not found on PATH: install `));
    expect(s.calls().some((c) => c[0] === 'kind' && c[1] === 'create')).toBe(false);
  });

  it("cluster creation fails: the first line of kind's error, exit 3", async () => {
    const s = setup({ STANDIN_KIND_CREATE_FAIL: '1' });
    const error = await failure(createKindCluster({ kubernetesVersion: '1.35', env: s.env }));
    expect(exitCodeOf(error)).toBe(3);
    expect(error.message).toBe(
      'failed to create kind cluster ai-conformance: ERROR: failed to create cluster: failed to pull image "kindest/node": exit status 1',
    );
  });

  it('driver chart install fails: error names the chart, and the half-built cluster is deleted', async () => {
    const s = setup({ STANDIN_HELM_FAIL: 'dra-example-driver' });
    const error = await failure(createKindCluster({ kubernetesVersion: '1.34', env: s.env }));
    expect(exitCodeOf(error)).toBe(3);
    expect(error.message).toBe('failed to install dra-example-driver chart 0.4.0: Error: INSTALLATION FAILED: context deadline exceeded');
    expect(s.calls().at(-1)).toEqual(['kind', 'delete', 'cluster', '--name', 'ai-conformance']);
  });

  it('an add-on install fails: error names the add-on step', async () => {
    const s = setup({ STANDIN_HELM_FAIL: 'kueue' });
    const error = await failure(createKindCluster({ kubernetesVersion: '1.35', addons: true, env: s.env }));
    expect(error.message).toBe('failed to install Kueue v0.19.2: Error: INSTALLATION FAILED: context deadline exceeded');
  });

  it('a gVisor binary that fails its checksum in one node: error names the node, cluster deleted', async () => {
    const s = setup({ STANDIN_DOCKER_EXEC_FAIL: 'ai-conformance-worker2' });
    const error = await failure(createKindCluster({ kubernetesVersion: '1.37', addons: true, env: s.env }));
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error.message).toBe(
      'failed to install gVisor 20260622 (runsc) in node ai-conformance-worker2: sha512sum: WARNING: 1 computed checksum did NOT match',
    );
    expect(exitCodeOf(error)).toBe(3);
    expect(s.calls().at(-1)).toEqual(['kind', 'delete', 'cluster', '--name', 'ai-conformance']);
  });

  it('1.35 lists neither inference nor sandbox SHOULDs: their add-ons are left out, Envoy Gateway keeps its defaults', async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.35', addons: true, env: s.env });
    const calls = s.calls();
    expect(calls.filter((c) => c[0] === 'helm').map((c) => c[3])).toEqual([
      'dra-example-driver',
      'eg',
      'kueue',
      'gpu-operator',
      'kube-prometheus-stack',
      'prometheus-adapter',
    ]);
    expect(calls.find((c) => c[0] === 'helm' && c[3] === 'eg')).not.toContain('--values');
    expect(calls.some((c) => c.join(' ').includes('inference'))).toBe(false);
    expect(calls.filter((c) => c[0] === 'docker' && c[1] === 'exec')).toEqual([]);
    expect(patchesOf(s)).toHaveLength(1);
    await cluster.remove();
  });

  it('1.36 gets the inference add-ons but not gVisor (workload_sandboxing is a 1.37 SHOULD)', async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.36', addons: true, env: s.env });
    const calls = s.calls();
    expect(calls.filter((c) => c[0] === 'helm').map((c) => c[3])).toContain('aieg');
    expect(calls.find((c) => c[0] === 'helm' && c[3] === 'eg')).toContain('--values');
    expect(calls.filter((c) => c[0] === 'docker' && c[1] === 'exec')).toEqual([]);
    expect(patchesOf(s)).toHaveLength(1);
    await cluster.remove();
  });

  it('without add-ons, containerd gets no sandbox runtime and no node is touched', async () => {
    const s = setup();
    const cluster = await createKindCluster({ kubernetesVersion: '1.37', env: s.env });
    expect(patchesOf(s)).toHaveLength(1);
    expect(s.calls().filter((c) => c[0] === 'docker' && c[1] === 'exec')).toEqual([]);
    await cluster.remove();
  });

  it('ResourceSlices never appear on every worker: times out with what it saw, cluster deleted', async () => {
    const s = setup({ STANDIN_SLICES: 'only-one-slice' });
    const started = Date.now();
    const error = await failure(createKindCluster({ kubernetesVersion: '1.35', env: s.env, waitTimeoutMs: 1_500 }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(exitCodeOf(error)).toBe(3);
    expect(error.message).toBe('timed out after 1500ms waiting to see ResourceSlices from gpu.example.com on 2 nodes (saw 1 of 2)');
    expect(s.calls().at(-1)).toEqual(['kind', 'delete', 'cluster', '--name', 'ai-conformance']);
  });

  it('an aborted run stops the watch and reports cancellation', async () => {
    const s = setup({ STANDIN_SLICES: '' });
    const controller = new AbortController();
    const pending = failure(createKindCluster({ kubernetesVersion: '1.35', env: s.env, signal: controller.signal }));
    // Abort once the watch is running (its command line is in the log).
    await vitestWaitFor(() => s.calls().some((c) => c.includes('resourceslices')));
    controller.abort();
    const error = await pending;
    expect(error.message).toMatch(/^cancelled while waiting to see ResourceSlices/);
  });

  it('--cluster kind without a version, or with a kubeconfig, is a usage error', async () => {
    expect(exitCodeOf(await failure(provisionCluster({ cluster: 'kind' })))).toBe(2);
    expect(exitCodeOf(await failure(provisionCluster({ cluster: 'kind', kubernetesVersion: '1.35', kubeconfig: '/x' })))).toBe(2);
  });
});

/** Polls a cheap condition on a file the stand-ins write (test-side only). */
async function vitestWaitFor(condition: () => boolean): Promise<void> {
  const { vi } = await import('vitest');
  await vi.waitFor(
    () => {
      if (!condition()) throw new Error('not yet');
    },
    { timeout: 10_000, interval: 20 },
  );
}
