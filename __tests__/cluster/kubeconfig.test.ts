import { failure } from './standins.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectKubeconfig, kubeconfigFromEnv, looksLikeKubeconfigContent } from '../../src/cluster/kubeconfig.js';
import { parseClusterMode, requireKubernetesVersion, provisionCluster } from '../../src/cluster/index.js';
import { exitCodeOf } from '../../src/errors.js';

const TOKEN = 'sha256~SuperSecretTokenValue0123456789';
const CONTENT = `apiVersion: v1
kind: Config
clusters:
- name: gpu
  cluster: {server: 'https://gpu.example.com:6443'}
contexts:
- name: gpu-admin
  context: {cluster: gpu, user: admin}
- name: gpu-ci
  context: {cluster: gpu, user: admin}
current-context: gpu-admin
users:
- name: admin
  user:
    token: ${TOKEN}
`;

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('kubeconfig provider', () => {
  it('uses a kubeconfig file and checks the context exists', async () => {
    const file = path.join(tempDir(), 'config');
    writeFileSync(file, CONTENT);
    const cluster = await connectKubeconfig({ kubeconfig: file, context: 'gpu-ci', env: {} });
    expect(cluster).toMatchObject({ mode: 'kubeconfig', origin: `kubeconfig ${file}`, context: 'gpu-ci' });
    expect(cluster.kubeConfig.getCurrentContext()).toBe('gpu-ci');
    await cluster.cleanup();
    expect(existsSync(file)).toBe(true); // the user's file is never removed

    const error = await failure(connectKubeconfig({ kubeconfig: file, context: 'nope', env: {} }));
    expect(exitCodeOf(error)).toBe(2);
    expect(error.message).toBe(`context 'nope' is not in kubeconfig ${file} (contexts: gpu-admin, gpu-ci)`);
  });

  it('reports a missing or malformed file in one line, exit 2', async () => {
    const missing = await failure(connectKubeconfig({ kubeconfig: '/nonexistent/config', env: {} }));
    expect(exitCodeOf(missing)).toBe(2);
    expect(missing.message).toBe('kubeconfig file /nonexistent/config does not exist');
    const file = path.join(tempDir(), 'config');
    writeFileSync(file, 'just a string');
    expect((await failure(connectKubeconfig({ kubeconfig: file, env: {} }))).message).toBe(`kubeconfig ${file} is not a kubeconfig`);
  });

  it('falls back to $KUBECONFIG', async () => {
    const file = path.join(tempDir(), 'config');
    writeFileSync(file, CONTENT);
    const cluster = await connectKubeconfig({ env: { KUBECONFIG: file } });
    expect(cluster.origin).toBe(`kubeconfig ${file}`);
    expect(cluster.kubeConfig.getCurrentCluster()?.server).toBe('https://gpu.example.com:6443');
  });

  it('loads secret content from memory: no file is written, nothing logged', async () => {
    const lines: string[] = [];
    const before = readdirSync(tmpdir());
    const cluster = await connectKubeconfig({ kubeconfigContent: CONTENT, env: {}, log: (l) => lines.push(l) });
    expect(cluster.kubeConfig.getCurrentUser()?.token).toBe(TOKEN);
    expect(readdirSync(tmpdir()).filter((f) => !before.includes(f) && f.startsWith('ai-conformance'))).toEqual([]);
    expect(lines.join('\n')).not.toContain(TOKEN);
    await cluster.cleanup();
  });

  it('masks the content in GitHub Actions, and prints nothing to mask outside it', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const outside = await connectKubeconfig({ kubeconfigContent: CONTENT, env: {} });
    await outside.cleanup();
    expect(writes.join('')).toBe('');
    const inside = await connectKubeconfig({ kubeconfigContent: CONTENT, env: { GITHUB_ACTIONS: 'true' } });
    await inside.cleanup();
    const masks = writes
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('::add-mask::'));
    expect(masks).toContain(`::add-mask::${TOKEN}`);
    expect(masks.some((m) => m.includes('%0A'))).toBe(true); // the whole content, escaped
  });

  it('reads content or a path from AI_CONFORMANCE_KUBECONFIG', async () => {
    expect(kubeconfigFromEnv({ AI_CONFORMANCE_KUBECONFIG: CONTENT })).toEqual({ kubeconfigContent: CONTENT });
    expect(kubeconfigFromEnv({ AI_CONFORMANCE_KUBECONFIG: ' /etc/kube/config ' })).toEqual({ kubeconfig: '/etc/kube/config' });
    expect(kubeconfigFromEnv({ AI_CONFORMANCE_KUBECONFIG: '' })).toEqual({});
    expect(looksLikeKubeconfigContent('{"apiVersion":"v1"}')).toBe(true);
    const cluster = await provisionCluster({ cluster: 'kubeconfig', context: 'gpu-ci', env: { AI_CONFORMANCE_KUBECONFIG: CONTENT } });
    expect(cluster.mode).toBe('kubeconfig');
    expect(cluster.kubeConfig.getCurrentContext()).toBe('gpu-ci');
    expect(cluster.kubeConfig.getCurrentUser()?.token).toBe(TOKEN);
    await cluster.cleanup();
  });

  it('never echoes an AI_CONFORMANCE_KUBECONFIG value it cannot use (e.g. base64 content)', async () => {
    const encoded = Buffer.from(CONTENT).toString('base64');
    const error = await provisionCluster({ cluster: 'kubeconfig', env: { AI_CONFORMANCE_KUBECONFIG: encoded } }).catch((e: unknown) => e);
    expect(String(error)).toContain('neither a readable file nor kubeconfig YAML');
    expect(String(error)).not.toContain(encoded.slice(0, 12));
    expect(exitCodeOf(error)).toBe(2);
  });

  it('in-cluster mode needs the service account, and auto mode falls back to it', async () => {
    const sa = tempDir();
    const error = await failure(connectKubeconfig({ inCluster: true, env: {}, serviceAccountDir: sa }));
    expect(exitCodeOf(error)).toBe(2);
    expect(error.message).toBe(`in-cluster mode needs KUBERNETES_SERVICE_HOST and a service account token at ${sa}/token`);
    mkdirSync(sa, { recursive: true });
    writeFileSync(path.join(sa, 'token'), 'x');
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', HOME: tempDir() };
    const inCluster = await connectKubeconfig({ inCluster: true, env, serviceAccountDir: sa });
    expect(inCluster.mode).toBe('in-cluster');
    expect(inCluster.context).toBeUndefined();
    expect(inCluster.kubeConfig.getCurrentCluster()?.server).toBe('https://10.0.0.1:443');
    const auto = await connectKubeconfig({ allowInClusterFallback: true, env, serviceAccountDir: sa });
    expect(auto.mode).toBe('in-cluster');
    // An explicit kubeconfig mode never silently switches to the service account.
    const explicit = await failure(connectKubeconfig({ env, serviceAccountDir: sa }));
    expect(explicit.message).toMatch(/^kubeconfig file .*\.kube\/config does not exist$/);
  });

  it('parses --cluster and --kubernetes-version', () => {
    expect(parseClusterMode(undefined)).toBe('auto');
    expect(parseClusterMode('kind')).toBe('kind');
    expect(() => parseClusterMode('minikube')).toThrow(
      "unknown --cluster 'minikube' (expected one of: kind, kubeconfig, in-cluster, auto)",
    );
    expect(requireKubernetesVersion('v1.34.2')).toBe('1.34');
    expect(() => requireKubernetesVersion('1.30')).toThrow(
      "unsupported Kubernetes version '1.30' (supported: 1.33, 1.34, 1.35, 1.36, 1.37)",
    );
  });

  it('--addons outside kind mode is a usage error', async () => {
    expect(exitCodeOf(await failure(provisionCluster({ cluster: 'kubeconfig', addons: true })))).toBe(2);
  });
});
