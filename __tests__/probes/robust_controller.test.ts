import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { robustControllerProbe } from '../../src/probes/robust_controller.js';
import { runProbeOnScenario, type ProbeRun } from '../helpers/probe-harness.js';
import { derivedScenario, scenarioPath } from './scenarioFile.js';

/** KubeRay installed with its webhooks (kustomize default-with-webhooks) on a plain 1.35 cluster. */
const KUBERAY_1_35 = scenarioPath('gpu-nvidia-1.35');
const KUBERAY_1_33 = derivedScenario('kuberay-1.33', '1.33', ['bare-1.35', 'addons/ai-operator']);

function expectClean(run: ProbeRun): void {
  expect(run.leaked).toBe(0);
  expect(run.leftInStore).toEqual([]);
}

function reasonOf(run: ProbeRun, name: string): string {
  return run.result.checks.find((c) => c.name === name)?.reason ?? `no check "${name}"`;
}

const INSTALLED = 'the operator is installed and its CRDs are established';
const PODS = 'its controller pods are running';
const WEBHOOK = 'its validating webhook rejects an invalid object';
const RECONCILE = 'a valid object is reconciled to ready';

/** Gatekeeper as robust_controller sees it: a catch-all webhook and a controller pod that never starts. */
const GATEKEEPER_OBJECTS = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gatekeeper-system' } },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'gatekeeper-webhook-service', namespace: 'gatekeeper-system' },
    spec: { selector: { 'control-plane': 'controller-manager' }, ports: [{ port: 443, targetPort: 8443 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'gatekeeper-controller-manager-0',
      namespace: 'gatekeeper-system',
      labels: { 'control-plane': 'controller-manager' },
    },
    spec: { nodeSelector: { 'no-such-node': 'true' }, containers: [{ name: 'manager', image: 'openpolicyagent/gatekeeper:v3.18.0' }] },
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'gatekeeper-validating-webhook-configuration' },
    webhooks: [
      {
        name: 'validation.gatekeeper.sh',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        clientConfig: { service: { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-service', path: '/v1/admit' } },
        rules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'] }],
      },
    ],
  },
];

describe('robust_controller', () => {
  it('passes with KubeRay: CRDs established, pods running, webhook denies, RayCluster reconciled', async () => {
    const run = await runProbeOnScenario(robustControllerProbe, KUBERAY_1_35);
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(reasonOf(run, INSTALLED)).toContain(
      'KubeRay (detected): rayclusters.ray.io, rayjobs.ray.io, rayservices.ray.io Established; using ray.io/v1',
    );
    expect(reasonOf(run, PODS)).toMatch(/1 KubeRay pod\(s\) Running and Ready: kuberay-system\/kuberay-operator-/);
    expect(reasonOf(run, WEBHOOK)).toContain('admission webhook "vraycluster.kb.io" denied the request');
    expect(reasonOf(run, RECONCILE)).toMatch(/RayCluster robust-controller-valid reconciled to ready in [\d.]+s, then deleted/);
    expectClean(run);
  });

  it('passes on the kind cluster with Kubeflow Trainer v2.3.0: its own webhook denies a TrainJob naming no runtime', async () => {
    const run = await runProbeOnScenario(robustControllerProbe, scenarioPath('kind-example-dra-1.35'));
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(reasonOf(run, INSTALLED)).toContain(
      'Kubeflow Trainer (detected): trainjobs.trainer.kubeflow.org, trainingruntimes.trainer.kubeflow.org, clustertrainingruntimes.trainer.kubeflow.org Established; using trainer.kubeflow.org/v1alpha1',
    );
    expect(reasonOf(run, PODS)).toMatch(/kubeflow-system\/kubeflow-trainer-controller-manager-/);
    expect(reasonOf(run, WEBHOOK)).toContain('denied by validator.trainjob.trainer.kubeflow.org (HTTP 422)');
    expect(reasonOf(run, RECONCILE)).toMatch(/TrainJob robust-controller-valid reconciled to ready in [\d.]+s, then deleted/);
    expectClean(run);
  });

  it('uses the operator named with --operator', async () => {
    const run = await runProbeOnScenario(robustControllerProbe, KUBERAY_1_33, {
      accelerator: 'example',
      probeOptions: { operator: 'KubeRay' },
    });
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(reasonOf(run, INSTALLED)).toContain('KubeRay (named with --operator)');
    expectClean(run);
  });

  it('fails when the webhook admits an invalid RayCluster', async () => {
    const run = await runProbeOnScenario(robustControllerProbe, scenarioPath('fail-robust-controller-webhook-1.35'));
    expect(run.result.verdict).toBe('failed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'failed', 'passed']);
    expect(run.result.reason).toContain(
      'an invalid RayCluster was accepted (dry run) although webhooks kuberay-validating-webhook-configuration/vraycluster.kb.io cover rayclusters',
    );
    expectClean(run);
  });

  it('fails when no AI operator is installed, saying what it looked for', async () => {
    const run = await runProbeOnScenario(robustControllerProbe, scenarioPath('bare-1.35'), { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.reason).toContain(
      'no AI operator found: looked for KubeRay (rayclusters.ray.io), Kubeflow Trainer (trainjobs.trainer.kubeflow.org), KServe',
    );
    expectClean(run);
  });

  it('fails when the operator has no validating webhook at all', async () => {
    const addon = parse(readFileSync(scenarioPath('addons/ai-operator'), 'utf8')) as { objects: { kind: string }[] };
    const file = derivedScenario('robust-no-webhook', '1.35', ['bare-1.35'], {
      objects: addon.objects.filter((object) => object.kind !== 'ValidatingWebhookConfiguration'),
      behaviours: { operator: {} },
    });
    const run = await runProbeOnScenario(robustControllerProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('failed');
    expect(run.result.checks.map((c) => c.verdict)).toEqual(['passed', 'passed', 'failed', 'passed']);
    expect(run.result.reason).toContain('no ValidatingWebhookConfiguration covers rayclusters.ray.io: invalid objects are not rejected');
    expectClean(run);
  });

  it('ends in error, never passed, when the operator never reconciles in time', async () => {
    const file = derivedScenario('robust-no-reconcile', '1.35', ['kind-example-dra-1.35'], {
      behaviours: { operator: { reconcile: false } },
    });
    const run = await runProbeOnScenario(robustControllerProbe, file, { accelerator: 'example', timeoutMs: 1500 });
    expect(run.result.verdict).toBe('error');
    expect(run.result.checks.find((c) => c.name === RECONCILE)?.verdict).toBe('error');
    expect(run.result.reason).toContain('timed out');
    expectClean(run);
  });

  it('ends in error for an unknown --operator', async () => {
    const run = await runProbeOnScenario(robustControllerProbe, scenarioPath('kind-example-dra-1.35'), {
      probeOptions: { operator: 'no-such-operator' },
    });
    expect(run.result.verdict).toBe('error');
    expect(run.result.reason).toContain('unknown operator "no-such-operator"; known: kuberay, kubeflow-trainer, kserve');
    expectClean(run);
  });

  it('ends in error, never passed, when listing webhook configurations answers 500', async () => {
    const file = derivedScenario('robust-webhooks-500', '1.35', ['kind-example-dra-1.35'], {
      faults: [{ verb: 'list', resource: 'validatingwebhookconfigurations.admissionregistration.k8s.io', errorRate: 1, status: 500 }],
    });
    const run = await runProbeOnScenario(robustControllerProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('error');
    expect(run.result.checks.find((c) => c.name === WEBHOOK)?.verdict).toBe('error');
    expectClean(run);
  });

  it("ignores a policy engine's catch-all webhook: its pods are not the operator's", async () => {
    const file = derivedScenario('robust-gatekeeper', '1.35', ['gpu-nvidia-1.35'], { objects: GATEKEEPER_OBJECTS });
    const run = await runProbeOnScenario(robustControllerProbe, file);
    expect(run.result.verdict, run.result.reason).toBe('passed');
    expect(reasonOf(run, PODS)).toMatch(/^1 KubeRay pod\(s\) Running and Ready: kuberay-system\/kuberay-operator-[^,]*$/);
    expect(reasonOf(run, WEBHOOK)).toContain('denied by vraycluster.kb.io');
    expectClean(run);
  });

  it("ends in error, never passed, when only a policy engine's webhook denies the invalid object", async () => {
    // KubeRay's webhook admits everything; Gatekeeper denies every RayCluster for its own reasons.
    const file = derivedScenario('robust-gatekeeper-denies', '1.35', ['fail-robust-controller-webhook-1.35'], {
      objects: GATEKEEPER_OBJECTS,
      behaviours: { 'policy-webhook': { resources: ['rayclusters.ray.io'] } },
    });
    const run = await runProbeOnScenario(robustControllerProbe, file, { accelerator: 'example' });
    expect(run.result.verdict).toBe('error');
    const webhook = run.result.checks.find((c) => c.name === WEBHOOK);
    expect(webhook?.verdict).toBe('error');
    expect(webhook?.reason).toContain("webhook validation.gatekeeper.sh, not the operator's, denied it first");
    expect(run.result.checks.find((c) => c.name === PODS)?.verdict).toBe('passed');
    expectClean(run);
  });
  describe('on the kind cluster (Kubeflow Trainer v2.3.0, Kueue v0.19.2)', () => {
    const kuberay = parse(readFileSync(scenarioPath('addons/ai-operator'), 'utf8')) as { objects: { kind: string }[] };

    it("fails for KubeRay installed from its Helm chart: Kueue's vraycluster.kb.io is not KubeRay's webhook", async () => {
      // The chart ships no webhook; Kueue's webhook configuration names rayclusters all the same.
      const file = derivedScenario('robust-kuberay-helm', '1.35', ['kind-example-dra-1.35'], {
        objects: kuberay.objects.filter((o) => o.kind !== 'ValidatingWebhookConfiguration'),
        behaviours: { operator: { model: 'kuberay' } },
      });
      const run = await runProbeOnScenario(robustControllerProbe, file, { probeOptions: { operator: 'KubeRay' } });
      expect(run.result.verdict).toBe('failed');
      expect(reasonOf(run, WEBHOOK)).toContain(
        'no validating webhook of KubeRay covers rayclusters.ray.io (none is served by a Service in front of its pods); kueue-validating-webhook-configuration/vraycluster.kb.io cover it but belong to other components',
      );
      expectClean(run);
    });

    it('does not count a finished or evicted operator pod against the operator', async () => {
      const file = derivedScenario('robust-evicted', '1.35', ['kind-example-dra-1.35'], {
        objects: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: 'kubeflow-trainer-controller-manager-old',
              namespace: 'kubeflow-system',
              labels: { 'app.kubernetes.io/name': 'trainer', 'app.kubernetes.io/component': 'manager' },
            },
            spec: {
              nodeName: 'ai-conformance-worker',
              containers: [{ name: 'manager', image: 'ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0' }],
            },
            status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' },
          },
        ],
      });
      const run = await runProbeOnScenario(robustControllerProbe, file);
      expect(run.result.verdict, run.result.reason).toBe('passed');
      expect(reasonOf(run, PODS)).toContain(
        '(1 finished or evicted pod(s) not counted: kubeflow-system/kubeflow-trainer-controller-manager-old)',
      );
      expectClean(run);
    });

    it("does not let an uninstalled operator's leftover CRDs shadow the one that runs", async () => {
      const file = derivedScenario('robust-leftover-crds', '1.35', ['kind-example-dra-1.35'], {
        objects: kuberay.objects.filter((o) => o.kind === 'CustomResourceDefinition'),
      });
      const run = await runProbeOnScenario(robustControllerProbe, file);
      expect(run.result.verdict, run.result.reason).toBe('passed');
      expect(reasonOf(run, INSTALLED)).toContain('Kubeflow Trainer (detected)');
      expect(reasonOf(run, INSTALLED)).toContain("(KubeRay's CRDs are installed but no controller pod runs: left behind, not used)");
      expectClean(run);
    });
  });
});
