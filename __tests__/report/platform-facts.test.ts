// Platform facts: a probe reports the components it found and their versions with ctx.fact; the
// runner carries them into the results model, and the evidence documents, the submission README
// and the summary show them (escaped, "version not found" where the cluster states none).

import { describe, expect, it } from 'vitest';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { planRequirements, runSuite } from '../../src/runner/index.js';
import { createImageCatalog } from '../../src/runner/images.js';
import { exampleProfile } from '../../src/probes/profiles.js';
import { defineProbe, type Probe } from '../../src/probes/types.js';
import { platformFacts, type RequirementResult, type RunResults } from '../../src/model/results.js';
import { asVersion, imageTag, workloadVersion } from '../../src/probes/lib/platform-facts.js';
import { renderEvidence } from '../../src/report/evidence.js';
import { renderSubmissionReadme } from '../../src/report/submission-readme.js';
import { renderSummary } from '../../src/report/markdown.js';
import { resultsProblem } from '../../src/report/results-file.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';
import { sample, withRequirement } from './samples.js';

async function runOne(probe: Probe): Promise<RequirementResult> {
  const results = await runSuite({
    cluster: new MemoryCluster(),
    clusterInfo: { mode: 'fake', simulated: true },
    kubernetesVersion: '1.35',
    plan: planRequirements({ version: '1.35', builtin: [probe], only: [probe.id] }),
    profile: exampleProfile({ detected: false, detail: 'test' }),
    probeOptions: { kubernetesVersion: '1.35', allowNodeScaling: false, extra: {} },
    images: createImageCatalog([probe]),
    progress: () => undefined,
  });
  return results.requirements.find((r) => r.id === probe.id)!;
}

describe('ctx.fact', () => {
  it('records each fact once, in one line, an empty version as none, and nothing after the probe ended', async () => {
    let late: (() => void) | undefined;
    const result = await runOne(
      defineProbe({
        id: 'gang_scheduling',
        timeoutMs: 5_000,
        async run(ctx) {
          ctx.fact({ component: 'Kueue', version: 'v0.19.2', source: 'image tag of Deployment kueue-system/kueue-controller-manager' });
          ctx.fact({ component: 'Kueue', version: 'v0.19.2', source: 'image tag of Deployment kueue-system/kueue-controller-manager' });
          ctx.fact({ component: 'Volcano', version: '', source: 'no controller\nDeployment found' });
          ctx.fact({ component: '', source: 'dropped: no component' });
          await ctx.check('something', () => Promise.resolve('seen'));
          late = () => ctx.fact({ component: 'Late', version: 'v1.0', source: 'after the end' });
        },
      }),
    );
    late?.();
    expect(result.verdict).toBe('passed');
    expect(result.facts).toEqual([
      { component: 'Kueue', version: 'v0.19.2', source: 'image tag of Deployment kueue-system/kueue-controller-manager' },
      { component: 'Volcano', source: 'no controller Deployment found' },
    ]);
  });

  it('leaves facts out of a result whose probe reported none, and never changes a verdict', async () => {
    const result = await runOne(
      defineProbe({
        id: 'gang_scheduling',
        timeoutMs: 5_000,
        async run(ctx) {
          ctx.fact({ component: 'Kueue', source: 'no controller Deployment labelled app.kubernetes.io/name=kueue found' });
          await ctx.check('looked', () => Promise.resolve('nothing to schedule'));
          ctx.notApplicable('not here');
        },
      }),
    );
    expect(result.verdict).toBe('not-applicable');
    expect(result.facts).toHaveLength(1);
    const none = await runOne(
      defineProbe({
        id: 'gang_scheduling',
        timeoutMs: 5_000,
        async run(ctx) {
          await ctx.check('x', () => Promise.resolve('y'));
        },
      }),
    );
    expect(none).not.toHaveProperty('facts');
  });
});

describe('where versions are read', () => {
  it('takes an image tag only when it is a release version', () => {
    expect(imageTag('registry.k8s.io/kueue/kueue:v0.19.2')).toBe('v0.19.2');
    expect(imageTag('localhost:5000/kueue/kueue:v0.19.2@sha256:abc')).toBe('v0.19.2');
    expect(imageTag('localhost:5000/kueue/kueue@sha256:abc')).toBeUndefined();
    expect(imageTag('kueue')).toBeUndefined();
    expect(asVersion('v0.19.2')).toBe('v0.19.2');
    expect(asVersion('0.93.0')).toBe('0.93.0');
    expect(asVersion('4.2.3-4.1.3-ubuntu22.04')).toBe('4.2.3-4.1.3-ubuntu22.04');
    for (const notAVersion of ['latest', '17b1956c', 'main', '', '  ', undefined, 'v1']) expect(asVersion(notAVersion)).toBeUndefined();
  });

  it('prefers the controller container image tag, then the app.kubernetes.io/version label, and says when neither is there', () => {
    const deployment = (image: string, version?: string): V1Deployment => ({
      metadata: {
        name: 'envoy-gateway',
        namespace: 'envoy-gateway-system',
        labels: version ? { 'app.kubernetes.io/version': version } : {},
      },
      spec: {
        selector: {},
        template: {
          spec: {
            containers: [
              { name: 'sidecar', image: 'proxy:v9.9.9' },
              { name: 'envoy-gateway', image },
            ],
          },
        },
      },
    });
    expect(workloadVersion(deployment('docker.io/envoyproxy/gateway:v1.9.0'), 'Deployment x', 'envoy-gateway')).toEqual({
      version: 'v1.9.0',
      source: 'image docker.io/envoyproxy/gateway:v1.9.0 of Deployment x',
    });
    expect(workloadVersion(deployment('docker.io/envoyproxy/gateway@sha256:abc', 'v1.9.0'), 'Deployment x', 'envoy-gateway')).toEqual({
      version: 'v1.9.0',
      source: 'label app.kubernetes.io/version of Deployment x',
    });
    // Envoy Gateway's development chart labels everything "latest": no version, and the report says why.
    expect(workloadVersion(deployment('docker.io/envoyproxy/gateway:latest', 'latest'), 'Deployment x', 'envoy-gateway')).toEqual({
      source: "Deployment x: image docker.io/envoyproxy/gateway:latest carries no version tag, label app.kubernetes.io/version is 'latest'",
    });
    const pod: V1Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'quay.io/kuberay/operator:v1.5.1' }] } };
    expect(workloadVersion(pod, 'pod p').version).toBe('v1.5.1');
  });
});

describe('rendering', () => {
  const hostile = '<img src=x onerror=alert(1)> | `x` @octocat';
  const results = (): RunResults =>
    withRequirement(sample('all-pass-1.35'), 'gang_scheduling', {
      facts: [
        { component: 'Kueue', version: 'v0.19.2', source: 'image tag of Deployment kueue-system/kueue-controller-manager' },
        { component: 'Volcano', source: `no controller Deployment labelled ${hostile} found` },
      ],
    });

  it('is a valid results model', () => {
    expect(resultsProblem(results())).toBeUndefined();
  });

  it('shows the requirement own facts in its evidence document, escaped', () => {
    const r = results();
    const gang = r.requirements.find((x) => x.id === 'gang_scheduling')!;
    const text = renderEvidence(r, gang);
    const platform = text.slice(text.indexOf('## Platform'), text.indexOf('## What was created'));
    expect(platform).toContain('| Kueue | v0.19.2 (image tag of Deployment kueue-system/kueue-controller-manager) |');
    expect(platform).toMatch(
      /\| Volcano \| version not found \(no controller Deployment labelled &lt;img .*\\\| \\`x\\` @\u200Boctocat found\) \|/,
    );
    expect(platform).not.toContain('<img');
    const other = renderEvidence(
      r,
      r.requirements.find((x) => x.id === 'ai_inference')!,
    );
    expect(other).not.toContain('Kueue');
  });

  it('lists every distinct fact once in the README Platform section and the summary, with who reported it', () => {
    const r = results();
    const inference = r.requirements.find((x) => x.id === 'ai_inference')!;
    inference.facts = [{ component: 'Kueue', version: 'v0.19.2', source: 'image tag of Deployment kueue-system/kueue-controller-manager' }];
    const facts = platformFacts(r).map((f) => `${f.component}:${[...f.requirements].sort().join('+')}`);
    expect(facts.sort()).toEqual(['Kueue:ai_inference+gang_scheduling', 'Volcano:gang_scheduling']);
    const readme = renderSubmissionReadme(r);
    const section = readme.slice(readme.indexOf('## Platform'), readme.indexOf('## How to reproduce'));
    expect(section).toContain('| Kueue | v0.19.2 (image tag of Deployment kueue-system/kueue-controller-manager) |');
    expect(section).toContain('version not found (no controller Deployment labelled &lt;img');
    expect(section.match(/\| Kueue \|/g)).toHaveLength(1);
    expect(section).not.toContain('<img');
    const summary = renderSummary(r);
    expect(summary).toContain('### Platform');
    expect(summary).toMatch(
      /\| Kueue \| v0\.19\.2 \(image tag of Deployment kueue-system\/kueue-controller-manager\) \| ai\\_inference, gang\\_scheduling \|/,
    );
    expect(summary).not.toContain('<img');
  });

  it('shows no Platform table in the summary when no probe reported a fact', () => {
    expect(renderSummary(sample('all-pass-1.35'))).not.toContain('### Platform');
  });
});
