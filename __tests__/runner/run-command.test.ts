import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCluster, type FakeCluster } from '../harness/index.js';
import { ClusterUnreachableError, UsageError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { labelledInStore } from '../helpers/probe-harness.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

// The example module the README shows for WG mode.
const PROBE_DIR = path.join(import.meta.dirname, '..', '..', 'examples', 'probes');
const out = () => mkdtempSync(path.join(tmpdir(), 'aic-run-'));

async function fake() {
  cluster = await startFakeCluster({ scenario: { name: 'run', kubernetesVersion: '1.35', nodes: [{ name: 'w1' }] }, tls: false });
  return cluster;
}

describe('run command', () => {
  it('runs a proposed requirement from --probe-dir and writes every report', { timeout: 30_000 }, async () => {
    const c = await fake();
    const dir = out();
    const code = await main([
      'run',
      '--kubeconfig',
      c.kubeconfigPath,
      '--out',
      dir,
      '--probe-dir',
      PROBE_DIR,
      '--only',
      'model_cache',
      '--accelerator',
      'example',
      '--offline',
    ]);
    const results = JSON.parse(readFileSync(path.join(dir, 'ai-conformance.json'), 'utf8')) as {
      leaked: number;
      runId: string;
      cluster: { simulated: boolean; mode: string };
      requirements: { id: string; verdict: string; proposed?: boolean; probe: string }[];
    };
    const proposed = results.requirements.find((r) => r.id === 'model_cache');
    expect(proposed).toMatchObject({ verdict: 'passed', proposed: true, probe: path.join(PROBE_DIR, 'model_cache.mjs') });
    expect(results.requirements.filter((r) => r.id !== 'model_cache').every((r) => r.verdict === 'skipped')).toBe(true);
    expect(results.cluster).toMatchObject({ simulated: true, mode: 'fake' });
    expect(results.leaked).toBe(0);
    expect(labelledInStore(c, results.runId)).toEqual([]);
    for (const file of [
      'ai-conformance.json',
      'results.json',
      'PRODUCT.yaml',
      'junit.xml',
      'e2e.log',
      'README.md',
      'results.sarif',
      'summary.md',
    ])
      expect(existsSync(path.join(dir, file))).toBe(true);
    expect(code).toBe(0);
  });

  it('replaces a built-in probe only with --replace-builtin, and then every report says so', { timeout: 30_000 }, async () => {
    const c = await fake();
    const probes = mkdtempSync(path.join(tmpdir(), 'aic-replace-'));
    const module = path.join(probes, 'my_dra.mjs');
    writeFileSync(
      module,
      "export default { id: 'dra_support', timeoutMs: 10000, async run(ctx) { await ctx.check('replacement ran', async () => 'ran'); } };\n",
    );
    await expect(main(['run', '--kubeconfig', c.kubeconfigPath, '--out', out(), '--probe-dir', probes, '--offline'])).rejects.toThrow(
      /pass --replace-builtin dra_support/,
    );
    expect(c.stats().requests).toBe(0);
    const dir = out();
    await main([
      'run',
      '--kubeconfig',
      c.kubeconfigPath,
      '--out',
      dir,
      '--probe-dir',
      probes,
      '--replace-builtin',
      'dra_support',
      '--only',
      'dra_support',
      '--accelerator',
      'example',
      '--offline',
    ]);
    const sentence = `dra_support was checked by ${module} (--replace-builtin), not by`;
    for (const file of ['summary.md', 'comment.md', 'e2e.log', 'junit.xml', 'results.sarif', 'PRODUCT.yaml']) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      expect(text.replace(/\\/g, ''), file).toContain(sentence);
    }
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('**Built-in probe replaced.**');
    expect(readFileSync(path.join(dir, 'PRODUCT.yaml'), 'utf8')).toMatch(/^(#.*\n)*# BUILT-IN PROBE REPLACED: /);
  });

  it('rejects unknown ids before touching the cluster', async () => {
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--only', 'dra_suport'])).rejects.toThrow(
      new UsageError("--only: unknown requirement id dra_suport (see 'ai-conformance list')"),
    );
    await expect(main(['run', '--level', 'sometimes'])).rejects.toThrow(UsageError);
    await expect(main(['run', '--timeout', 'soon'])).rejects.toThrow(UsageError);
    await expect(main(['run', '--accelerator', 'bad name!'])).rejects.toThrow(UsageError);
    await expect(main(['run', '--cluster', 'kubeconfig', '--node-image', 'kindest/node:v1.35.0'])).rejects.toThrow(
      new UsageError('--node-image only applies to --cluster kind'),
    );
    await expect(main(['run', '--cluster', 'kubeconfig', '--addons'])).rejects.toThrow(
      new UsageError('--addons only applies to --cluster kind'),
    );
    const bad = mkdtempSync(path.join(tmpdir(), 'aic-bad-'));
    writeFileSync(path.join(bad, 'broken.yaml'), 'spec: [\n');
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--product', path.join(bad, 'missing.yaml')])).rejects.toThrow(
      /^product .*missing.yaml: no such file/,
    );
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--product', path.join(bad, 'broken.yaml')])).rejects.toThrow(
      /broken.yaml:2: malformed YAML/,
    );
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--metadata', path.join(bad, 'missing.yaml')])).rejects.toThrow(
      /^metadata file .*missing.yaml: no such file/,
    );
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--template', 'ftp://example.com/t.yaml'])).rejects.toThrow(
      /--template must be a file path or an https URL/,
    );
    await expect(main(['run', '--probe-option', 'gang-scheduling.windw-ms=1000'])).rejects.toThrow(
      /^--probe-option: no probe reads 'gang-scheduling.windw-ms' \(known: .*gang-scheduling.window-ms/,
    );
    // A wrong value is a usage error before connecting (the kubeconfig does not exist), not a probe error mid-run.
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--probe-option', 'gang-scheduling.window-ms=soon'])).rejects.toThrow(
      new UsageError('--probe-option gang-scheduling.window-ms=soon is not a positive number of milliseconds (read by gang_scheduling)'),
    );
    // Keys probes read are accepted: the run gets as far as the kubeconfig.
    await expect(
      main(['run', '--kubeconfig', '/nonexistent', '--probe-option', 'gateway-class=eg', '--probe-option', 'trainer-runtime=torch']),
    ).rejects.toThrow(/^kubeconfig file \/nonexistent/);
  });

  it('an unreachable cluster exits 3', async () => {
    const c = await fake();
    const text = readFileSync(c.kubeconfigPath, 'utf8');
    await c.stop();
    cluster = undefined;
    const file = path.join(out(), 'kubeconfig');
    writeFileSync(file, text);
    const error = await main(['run', '--kubeconfig', file, '--out', out()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
  });
});

describe('list command', () => {
  it('prints one JSON object per requirement with its probe', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => chunks.push(chunk) > 0;
    try {
      expect(await main(['list', '--kubernetes-version', '1.36', '--format', 'json'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const rows = JSON.parse(chunks.join('')) as { id: string; category: string; level: string; probe: string }[];
    expect(rows.find((r) => r.id === 'dra_support')).toBeUndefined();
    expect(rows.find((r) => r.id === 'ai_inference')).toMatchObject({ category: 'networking', level: 'MUST', probe: 'builtin' });
    expect(rows.find((r) => r.id === 'high_performance_networking')).toMatchObject({
      category: 'networking',
      level: 'SHOULD',
      probe: 'builtin',
    });
  });

  it('says what each accelerator profile lets the SHOULD probes check', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => chunks.push(chunk) > 0;
    let text: string;
    try {
      expect(await main(['list', '--kubernetes-version', '1.37', '--format', 'json'])).toBe(0);
      const json = chunks.splice(0).join('');
      expect(await main(['list', '--kubernetes-version', '1.37'])).toBe(0);
      text = chunks.join('');
      const rows = JSON.parse(json) as { id: string; byProfile?: Record<string, string>; kindAddons?: string[] }[];
      expect(rows.find((r) => r.id === 'gpu_sharing')?.byProfile?.example).toContain('ResourceClaim shared by two pods');
      expect(rows.find((r) => r.id === 'virtualized_accelerator')?.byProfile?.example).toContain('not applicable');
      expect(rows.find((r) => r.id === 'workload_sandboxing')?.byProfile).toBeUndefined();
      expect(rows.find((r) => r.id === 'workload_sandboxing')?.kindAddons).toEqual(['gvisor']);
      expect(rows.find((r) => r.id === 'gpu_sharing')?.kindAddons).toBeUndefined();
    } finally {
      process.stdout.write = write;
    }
    expect(text).toContain('What the SHOULD probes check with each accelerator profile');
    expect(text).toMatch(/gpu_sharing\s+example\s+one ResourceClaim shared by two pods/);
    expect(text).toMatch(/\n\s+nvidia\s+MIG resources/);
    expect(text).toMatch(/workload_sandboxing\s+any\s+the same with every profile/);
    // What the kind PR path installs for them, from the provider's own add-on list.
    expect(text).toContain('Installed for SHOULD probes by --cluster kind --addons on Kubernetes 1.37');
    expect(text).toMatch(/advanced_inference_ingress\s+inference-extension-crds, envoy-ai-gateway, inference-sim\n/);
    expect(text).toMatch(/workload_sandboxing\s+gvisor\n/);
  });
});
