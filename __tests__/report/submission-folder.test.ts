// The submission workflow end to end on the fake cluster: `run --submission v1.37/<dir>` on
// gpu-nvidia-1.37 writes what a pull request to cncf/k8s-ai-conformance carries; the CNCF
// validator's rules reject it only for the simulation marker, and accept it once the marker is
// taken out of the three artifacts.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCENARIOS_DIR, startFakeCluster, type FakeCluster } from '../harness/index.js';
import { main } from '../../src/main.js';
import { validateProduct } from '../../src/checklist/validate.js';
import type { RunResults } from '../../src/model/results.js';

let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const METADATA = [
  'platformName: Acme AI Platform',
  'platformVersion: "3.1"',
  'vendorName: Acme',
  'websiteUrl: https://acme.example/',
  'repoUrl: https://github.com/acme/platform',
  'documentationUrl: https://acme.example/docs',
  'productLogoUrl: https://acme.example/logo.svg',
  'description: A platform for AI workloads.',
  'contactEmailAddress: conformance@acme.example',
  'k8sConformanceUrl: https://github.com/cncf/k8s-conformance/tree/master/v1.37/acme',
].join('\n');

/** What a reviewer would have to delete to make simulated artifacts pass: TestRealCluster. */
function removeMarker(folder: string): void {
  const junit = path.join(folder, 'junit.xml');
  writeFileSync(junit, readFileSync(junit, 'utf8').replace(/ {4}<testcase [^>]*name="TestRealCluster"[\s\S]*?<\/testcase>\n/, ''));
  const events = path.join(folder, 'results.json');
  const kept = readFileSync(events, 'utf8')
    .split('\n')
    .filter((l) => !l.includes('"Test":"TestRealCluster"'));
  const anyFailed = kept.some((l) => /"Action":"fail","Package":"[^"]+","Test"/.test(l));
  writeFileSync(
    events,
    kept
      .map((l) => (anyFailed ? l : l.replace(/"Action":"fail","Package":"([^"]+)","Elapsed"/, '"Action":"pass","Package":"$1","Elapsed"')))
      .join('\n'),
  );
  const log = path.join(folder, 'e2e.log');
  writeFileSync(
    log,
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => !l.includes('TestRealCluster') && !l.startsWith('    simulation:'))
      .join('\n'),
  );
}

describe('run --submission on gpu-nvidia-1.37', () => {
  it(
    'writes the folder a pull request carries; only the simulation marker fails it, and without it it passes',
    { timeout: 90_000 },
    async () => {
      cluster = await startFakeCluster({ scenario: path.join(SCENARIOS_DIR, 'gpu-nvidia-1.37.yaml'), tls: false });
      const work = mkdtempSync(path.join(tmpdir(), 'aic-submission-'));
      const metadata = path.join(work, 'metadata.yaml');
      writeFileSync(metadata, METADATA);
      const out = path.join(work, 'out');
      const folder = path.join(work, 'k8s-ai-conformance', 'v1.37', 'acme');
      const code = await main([
        'run',
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--out',
        out,
        '--offline',
        '--allow-node-scaling',
        '--probe-option',
        'gang-scheduling.window-ms=1000',
        '--metadata',
        metadata,
        '--submission',
        folder,
      ]);
      const results = JSON.parse(readFileSync(path.join(out, 'ai-conformance.json'), 'utf8')) as RunResults;
      expect(results.kubernetesVersion).toBe('1.37');
      expect(results.requirements.filter((r) => r.level === 'MUST').map((r) => `${r.id}=${r.verdict}`)).toEqual(
        results.requirements.filter((r) => r.level === 'MUST').map((r) => `${r.id}=passed`),
      );
      expect(results.cluster).toMatchObject({ simulated: true });
      expect(code).toBe(0);

      // Exactly what a pull request carries.
      expect(readdirSync(folder).sort()).toEqual(['PRODUCT.yaml', 'README.md', 'e2e.log', 'evidence', 'junit.xml', 'results.json']);
      expect(readdirSync(path.join(folder, 'evidence')).sort()).toEqual(results.requirements.map((r) => `${r.id}.md`).sort());
      const readme = readFileSync(path.join(folder, 'README.md'), 'utf8');
      expect(readme).toContain('# Acme AI Platform 3.1: Kubernetes AI Conformance (v1.37)');
      expect(readme).toContain('SIMULATED: do not submit.');
      expect(readFileSync(path.join(folder, 'PRODUCT.yaml'), 'utf8').startsWith('# SIMULATED:')).toBe(true);
      // The platform the probes found, with the versions the cluster states, and "version not found" where it states none.
      const platform = readme.slice(readme.indexOf('## Platform'), readme.indexOf('## How to reproduce'));
      expect(platform).toMatch(
        /\| Envoy Gateway \| v1\.9\.0 \(image docker\.io\/envoyproxy\/gateway:v1\.9\.0 of Deployment envoy-gateway-system\/envoy-gateway\).*\| ai\\_inference \|/,
      );
      expect(platform).toMatch(/\| Kueue \| v0\.16\.0 \(image registry\.k8s\.io\/kueue\/kueue:v0\.16\.0 of pod kueue-system\//);
      expect(platform).toMatch(
        /\| Prometheus Operator \| version not found \(CRD prometheuses\.monitoring\.coreos\.com has no operator\.prometheus\.io\/version annotation\)/,
      );
      expect(platform).toMatch(/\| KubeRay \| v1\.5\.1 /);
      const inference = readFileSync(path.join(folder, 'evidence', 'ai_inference.md'), 'utf8');
      expect(inference).toMatch(/\| Gateway API CRDs \| v1\.6\.1 \(annotation gateway\.networking\.k8s\.io\/bundle-version of CRD /);
      expect(results.requirements.find((r) => r.id === 'ai_inference')?.facts?.map((f) => f.component)).toEqual([
        'Gateway API CRDs',
        'Envoy Gateway',
      ]);
      const gang = readFileSync(path.join(folder, 'evidence', 'gang_scheduling.md'), 'utf8');
      for (const part of ['## Platform', '## What was created', '## The same by hand', 'kubectl get', '## Checks', '## Observations'])
        expect(gang).toContain(part);

      // Every error is the simulation marker, and validate says why in one line.
      const simulated = await validateProduct(path.join(folder, 'PRODUCT.yaml'), { offline: true });
      expect(simulated.violations.length).toBeGreaterThan(0);
      for (const v of simulated.violations)
        expect(v.message, v.message).toMatch(/contains failing tests: TestRealCluster \(TestRealCluster: simulated results: .+\)$/);
      expect(simulated.simulated).toMatch(/^simulated results: the cluster is the fake Kubernetes API server/);
      expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain("fails the CNCF validator's rules");

      removeMarker(folder);
      const clean = await validateProduct(path.join(folder, 'PRODUCT.yaml'), { offline: true });
      expect(clean.violations).toEqual([]);
      expect(clean.warnings).toEqual([]);
    },
  );

  it('refuses a --submission path that is not vX.Y/<dir> of the version, and --only without ids, before connecting', async () => {
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--submission', 'acme'])).rejects.toThrow(
      /--submission acme: must end in vX\.Y\/<product-dir>/,
    );
    await expect(
      main(['run', '--kubeconfig', '/nonexistent', '--kubernetes-version', '1.37', '--submission', 'v1.36/acme']),
    ).rejects.toThrow(/this run checks Kubernetes 1\.37, so the folder must be v1\.37\/<product-dir>/);
    await expect(main(['run', '--kubeconfig', '/nonexistent', '--only', ''])).rejects.toThrow(/--only needs at least one requirement id/);
  });
});
