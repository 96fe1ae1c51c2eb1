// gang_scheduling end to end on the fake cluster: Kueue (both Workload API versions) and
// Volcano admit a fitting gang whole and bind nothing of a gang that does not fit; a partial
// admitter fails, also when its pods are only bound (not started) or bound near the window's end;
// only solutions whose controller runs are used, the other one is tried when the first does not
// work; no solution fails (a MUST); API faults are errors.
import { describe, expect, it } from 'vitest';
import { gangSchedulingProbe } from '../../src/probes/gang_scheduling.js';
import { runProbeOnScenario } from '../helpers/probe-harness.js';
import { explain, expectClean, failedCheck, withAddons } from './addonRuns.js';
import { scenarioPath } from './scenarioFile.js';

const fast = { probeOptions: { extra: { 'gang-scheduling.window-ms': '300', 'gang-scheduling.complete-ms': '8000' } } };

describe('gang_scheduling', () => {
  it('passes with Kueue v1beta2 on kind-example-dra-1.35', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('kind-example-dra-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('Kueue (kueue.x-k8s.io/v1beta2)');
    expect(run.result.checks.map((c) => c.reason).join('\n')).toMatch(
      /no pod of the 3-pod gang was bound to a node within 300ms with room for 2; Workload \S+ waits: QuotaReserved=False/,
    );
    expectClean(run);
  });

  it('passes on gpu-nvidia-1.35', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('gpu-nvidia-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expectClean(run);
  });

  it('passes with a Kueue serving only v1beta1 (discovers the served version)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, withAddons('bare-1.35', ['kueue-v1beta1.yaml']), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('kueue.x-k8s.io/v1beta1');
    expectClean(run);
  });

  it('passes with Volcano (bare-1.35 plus the Volcano add-on)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, withAddons('bare-1.35', ['volcano.yaml']), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toContain('Volcano');
    expectClean(run);
  });

  it('fails when the gang scheduler starts part of a gang (fail-gang-partial-1.35)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('fail-gang-partial-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /was bound to node \S+ \(phase (Pending|Running|Succeeded)\) although the quota has room for 2 of 3 pods: the gang was scheduled partially/,
    );
    expectClean(run);
  });

  it('fails when Volcano binds part of a gang', async () => {
    const run = await runProbeOnScenario(
      gangSchedulingProbe,
      withAddons('bare-1.35', ['volcano.yaml'], { behaviours: { volcano: { partialAdmission: true } } }),
      fast,
    );
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('the gang was scheduled partially');
    expectClean(run);
  });

  it('fails (not N/A) on bare-1.35: no gang-scheduling solution', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('bare-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toContain('no gang-scheduling solution found: neither Kueue');
    expectClean(run);
  });

  it('is an error when the API server refuses to create Jobs', async () => {
    const run = await runProbeOnScenario(
      gangSchedulingProbe,
      withAddons('gpu-nvidia-1.35', [], {
        faults: [{ verb: 'create', resource: 'jobs.batch', errorRate: 1, status: 500, message: 'etcd is down' }],
      }),
      fast,
    );
    expect(run.result.verdict, explain(run)).toBe('error');
    expect(run.result.checks.find((c) => c.verdict === 'error')?.reason).toContain('etcd is down');
    expectClean(run);
  });

  it('fails, never passes, when Kueue runs but creates no Workload and nothing else is installed', async () => {
    // Kueue's controller-manager pod runs but reconciles nothing: the suspended job starts nothing.
    const quick = { probeOptions: { extra: { 'gang-scheduling.window-ms': '300', 'gang-scheduling.complete-ms': '300' } } };
    const run = await runProbeOnScenario(gangSchedulingProbe, withAddons('gpu-nvidia-1.35', [], { behaviours: { kueue: false } }), quick);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /no running gang-scheduling solution works: Kueue \(kueue.x-k8s.io\/v1beta2\): job gang-fits did not complete within 300ms .*: Kueue created no Workload for it/,
    );
    expectClean(run);
  });

  it('fails when the pods let through are bound but not yet started (fail-gang-partial-slow-start-1.35)', async () => {
    // The kubelet takes 2 s from binding to Running: within a 1 s window the pods are only bound.
    const window = { probeOptions: { extra: { 'gang-scheduling.window-ms': '1000', 'gang-scheduling.complete-ms': '8000' } } };
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('fail-gang-partial-slow-start-1.35'), window);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /^pod gang-short-\S+ was bound to node \S+ \(phase Pending\) although the quota has room for 2 of 3/,
    );
    expectClean(run);
  });

  it('fails when a pod is bound before the window ends but reaches the watch after it (fail-gang-late-bind-1.35)', async () => {
    // Volcano binds at its 200 ms session, watches lag 1.5 s, window 600 ms: only the list after the window sees it.
    const window = { probeOptions: { extra: { 'gang-scheduling.window-ms': '600', 'gang-scheduling.complete-ms': '8000' } } };
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('fail-gang-late-bind-1.35'), window);
    expect(run.result.verdict, explain(run)).toBe('failed');
    expect(failedCheck(run)?.reason).toMatch(
      /^pod gang-short-\S+ was bound to node \S+ \(phase \w+\), found when the gang was listed after the window although the quota has room for 2 of 3/,
    );
    expectClean(run);
  });

  it('does not use Kueue CRDs left behind and passes with a working Volcano (gang-kueue-leftover-volcano-1.35)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('gang-kueue-leftover-volcano-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('passed');
    const found = run.result.checks[0].reason;
    expect(found).toMatch(
      /Kueue \(kueue.x-k8s.io\/v1beta2\): APIs served but no controller-manager pod runs \(none running; looked at pods labelled app.kubernetes.io\/name=kueue,control-plane=controller-manager\): CRDs left by an uninstall, not used/,
    );
    expect(found).toMatch(
      /Volcano \(scheduling.volcano.sh\/v1beta1\): volcano-scheduler running: volcano-system\/volcano-scheduler-\S+; looked at pods labelled app=volcano-scheduler/,
    );
    expect(run.result.checks[1].reason).toMatch(/^Volcano \(scheduling.volcano.sh\/v1beta1\): Queues with capability for 3 and 2 pods/);
    expect(run.result.checks.map((c) => c.reason).join('\n')).toMatch(/PodGroup gang-short is Pending/);
    expectClean(run);
  });

  it('fails naming what it found when only left-behind CRDs are served (fail-gang-no-controller-1.35)', async () => {
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('fail-gang-no-controller-1.35'), fast);
    expect(run.result.verdict, explain(run)).toBe('failed');
    const reason = failedCheck(run)?.reason ?? '';
    expect(reason).toMatch(
      /^no gang-scheduling solution is running: Kueue \(kueue.x-k8s.io\/v1beta2\): APIs served but no controller-manager pod runs/,
    );
    expect(reason).toMatch(
      /Volcano \(scheduling.volcano.sh\/v1beta1\): APIs served but no volcano-scheduler pod runs \(none running; looked at pods labelled app=volcano-scheduler\)/,
    );
    expect(run.result.checks).toHaveLength(1);
    expectClean(run);
  });

  it('tries Volcano when the running Kueue does not admit its gang, and reports both (gang-kueue-stuck-volcano-1.35)', async () => {
    const quick = { probeOptions: { extra: { 'gang-scheduling.window-ms': '300', 'gang-scheduling.complete-ms': '1000' } } };
    const run = await runProbeOnScenario(gangSchedulingProbe, scenarioPath('gang-kueue-stuck-volcano-1.35'), quick);
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toMatch(
      /Kueue \(kueue.x-k8s.io\/v1beta2\): controller-manager running: kueue-system\/kueue-controller-manager-/,
    );
    const fits = run.result.checks[1].reason;
    expect(fits).toMatch(
      /^Kueue \(kueue.x-k8s.io\/v1beta2\) tried first, not working: job gang-fits did not complete within 1s on a queue with room for all 3 pods: Kueue created no Workload for it; Volcano \(scheduling.volcano.sh\/v1beta1\): Queues/,
    );
    expect(run.result.checks[2].reason).toMatch(/PodGroup gang-short is Pending/);
    expectClean(run);
  });

  it('finds the Kueue controller behind its webhook Service wherever it is installed', async () => {
    // As the OpenShift Kueue operator installs it: its own namespace, a selector of one label.
    const namespace = 'openshift-kueue-operator';
    const labels = { 'control-plane': 'controller-manager' };
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kueue-webhook-service', namespace },
        spec: { ports: [{ port: 443, targetPort: 9443 }], selector: labels },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'kueue-controller-manager', namespace },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'manager', image: 'registry.k8s.io/kueue/kueue:v0.19.2' }] } },
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'kueue-validating-webhook-configuration' },
        webhooks: [
          {
            name: 'vworkload.kb.io',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            clientConfig: { service: { name: 'kueue-webhook-service', namespace, path: '/validate-kueue-x-k8s-io-v1beta2-workload' } },
            rules: [
              { apiGroups: ['kueue.x-k8s.io'], apiVersions: ['v1beta2'], operations: ['CREATE', 'UPDATE'], resources: ['workloads'] },
            ],
          },
        ],
      },
    ];
    const run = await runProbeOnScenario(
      gangSchedulingProbe,
      withAddons('bare-1.35', ['kueue-crds.yaml'], { objects, behaviours: { kueue: {} } }),
      fast,
    );
    expect(run.result.verdict, explain(run)).toBe('passed');
    expect(run.result.checks[0].reason).toMatch(
      /controller-manager running: openshift-kueue-operator\/kueue-controller-manager-\S+; looked at pods behind openshift-kueue-operator\/kueue-webhook-service \(the Service of webhook vworkload.kb.io\)/,
    );
    expectClean(run);
  });
});
