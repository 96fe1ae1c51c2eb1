// The verdicts a PR-mode kind run must reach with the add-ons src/cluster installs, checked
// against a results.json by .github/workflows/e2e.yml: one line per requirement (MUST or SHOULD)
// that differs, naming the add-on that backs it, so a first run on GitHub shows at once which one
// misbehaves.
//
//   node scripts/expect-kind-verdicts.mjs results.json [1.37]   (exit 0: as expected; 1: not)
//
// The second argument is the version the run was asked for (the workflow's matrix entry).

import { readFileSync } from 'node:fs';

/** Which add-on a MUST relies on in PR mode, and the verdict it must reach there. */
export const KIND_EXPECTATIONS = {
  dra_support: { verdict: 'passed', addon: 'dra-example-driver' },
  secure_accelerator_access: { verdict: 'passed', addon: 'dra-example-driver' },
  ai_inference: { verdict: 'passed', addon: 'envoy-gateway (GatewayClass ai-conformance, ClusterIP EnvoyProxy)' },
  gang_scheduling: { verdict: 'passed', addon: 'kueue' },
  robust_controller: { verdict: 'passed', addon: 'kubeflow-trainer (validating webhooks)' },
  ai_service_metrics: { verdict: 'passed', addon: 'monitoring (kube-prometheus-stack)' },
  pod_autoscaling: { verdict: 'passed', addon: 'monitoring (prometheus-adapter, custom metrics)' },
  accelerator_metrics: { verdict: 'passed', addon: 'fake-gpu-operator (DCGM exporter)' },
  // kind has no cluster autoscaler: the requirement applies only where a platform provides one.
  cluster_autoscaling: { verdict: 'not-applicable', addon: 'none (kind has no cluster autoscaler)' },
  // The SHOULDs: what kind can offer is checked (src/cluster/addons.ts installs it where the
  // version lists the SHOULD); what it cannot offer says so.
  driver_runtime_management: { verdict: 'passed', addon: 'dra-example-driver (driverVersion device attribute)' },
  gpu_sharing: { verdict: 'passed', addon: 'dra-example-driver (one claim shared by two pods, TimeSlicing GpuConfig)' },
  virtualized_accelerator: { verdict: 'not-applicable', addon: 'none (the example driver advertises no virtual accelerator)' },
  advanced_inference_ingress: {
    verdict: 'passed',
    addon: 'inference-extension-crds + envoy-ai-gateway (Envoy Gateway extension server for InferencePools) + inference-sim',
  },
  high_performance_networking: { verdict: 'not-applicable', addon: 'none (no DRA network driver or multi-network on kind)' },
  disaggregated_inference: { verdict: 'manual', addon: 'none (no llm-d, Dynamo or prefill/decode deployment on kind)' },
  workload_sandboxing: { verdict: 'passed', addon: 'gvisor (runsc in every node, RuntimeClass gvisor)' },
};

const MUSTS_OF_ALL = [
  'ai_inference',
  'gang_scheduling',
  'cluster_autoscaling',
  'pod_autoscaling',
  'accelerator_metrics',
  'ai_service_metrics',
  'secure_accelerator_access',
  'robust_controller',
];

/**
 * The MUSTs each provisioned version's checklist lists (src/requirements/catalog.ts; a test fails
 * when the two disagree), so a run that drops one is caught, not only one that gets it wrong.
 */
export const KIND_MUSTS_BY_VERSION = {
  1.33: MUSTS_OF_ALL,
  1.34: ['dra_support', ...MUSTS_OF_ALL],
  1.35: ['dra_support', ...MUSTS_OF_ALL],
  1.36: MUSTS_OF_ALL,
  1.37: MUSTS_OF_ALL,
};

const ACCELERATOR_SHOULDS = ['driver_runtime_management', 'gpu_sharing', 'virtualized_accelerator'];
const NETWORKING_SHOULDS = ['advanced_inference_ingress', 'high_performance_networking', 'disaggregated_inference'];

/** The SHOULDs each version's checklist lists (src/requirements/catalog.ts; a test fails when the two disagree). */
export const KIND_SHOULDS_BY_VERSION = {
  1.33: ['dra_support'],
  1.34: [],
  1.35: ACCELERATOR_SHOULDS,
  1.36: [...ACCELERATOR_SHOULDS, ...NETWORKING_SHOULDS],
  1.37: [...ACCELERATOR_SHOULDS, ...NETWORKING_SHOULDS, 'workload_sandboxing'],
};

/**
 * Lines describing every SHOULD of `version` that is missing from the results or has another
 * verdict than kind gives. A SHOULD the run left out (`--level must`) is not judged.
 */
export function unexpectedShouldVerdicts(results, version = results.kubernetesVersion) {
  const problems = [];
  for (const id of KIND_SHOULDS_BY_VERSION[version] ?? []) {
    const expected = KIND_EXPECTATIONS[id];
    const r = results.requirements.find((x) => x.id === id && x.level === 'SHOULD');
    if (!r) problems.push(`${id} (SHOULD) is missing from the results, expected ${expected.verdict} (add-on: ${expected.addon})`);
    else if (r.verdict !== expected.verdict && r.verdict !== 'skipped')
      problems.push(
        `${id} (SHOULD) is ${r.verdict}, expected ${expected.verdict} (add-on: ${expected.addon}): ${r.reason ?? 'no reason given'}`,
      );
  }
  return problems;
}

/**
 * Lines describing every way the results differ from what a kind run of `version` must give
 * (empty: all as expected): results of another version, a MUST missing, unexpected or with
 * another verdict, a SHOULD missing or with another verdict, objects left behind. Without `version`, the results' own version is used.
 */
export function unexpectedVerdicts(results, version = results.kubernetesVersion) {
  const problems = [];
  const expectedMusts = KIND_MUSTS_BY_VERSION[version];
  if (!expectedMusts) return [`no expectations for Kubernetes ${version} (add them to scripts/expect-kind-verdicts.mjs)`];
  if (results.kubernetesVersion !== version)
    problems.push(`the results are for Kubernetes ${results.kubernetesVersion}, the run was for ${version}`);
  const musts = results.requirements.filter((r) => r.level === 'MUST');
  for (const id of expectedMusts) {
    const expected = KIND_EXPECTATIONS[id];
    const r = musts.find((m) => m.id === id);
    if (!r) problems.push(`${id} is missing from the results, expected ${expected.verdict} (add-on: ${expected.addon})`);
    else if (r.verdict !== expected.verdict)
      problems.push(`${id} is ${r.verdict}, expected ${expected.verdict} (add-on: ${expected.addon}): ${r.reason ?? 'no reason given'}`);
  }
  for (const r of musts.filter((m) => !expectedMusts.includes(m.id)))
    problems.push(`${r.id}: a MUST that Kubernetes ${version} does not list on kind (update scripts/expect-kind-verdicts.mjs)`);
  problems.push(...unexpectedShouldVerdicts(results, version));
  if (results.leaked !== 0) problems.push(`leaked objects: ${results.leaked}`);
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, version] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node scripts/expect-kind-verdicts.mjs RESULTS_JSON [KUBERNETES_VERSION]');
    process.exit(2);
  }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const asked = version ?? results.kubernetesVersion;
  const problems = unexpectedVerdicts(results, asked);
  for (const line of problems) console.log(`::error::Kubernetes ${asked}: ${line}`);
  if (problems.length === 0) console.log(`Kubernetes ${asked}: every MUST and SHOULD reached its expected verdict on kind`);
  process.exit(problems.length === 0 ? 0 : 1);
}
