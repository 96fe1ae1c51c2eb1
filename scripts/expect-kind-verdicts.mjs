// The verdicts a PR-mode kind run must reach with the add-ons src/cluster installs, checked
// against a results.json by .github/workflows/e2e.yml: one line per requirement that differs,
// naming the add-on that backs it, so a first run on GitHub shows at once which one misbehaves.
//
//   node scripts/expect-kind-verdicts.mjs results.json     (exit 0: as expected; 1: not)

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
};

/** Lines describing every MUST whose verdict differs from the expectation (empty: all as expected). */
export function unexpectedVerdicts(results) {
  const problems = [];
  const musts = results.requirements.filter((r) => r.level === 'MUST');
  if (musts.length === 0) problems.push('no MUST requirement in the results');
  for (const r of musts) {
    const expected = KIND_EXPECTATIONS[r.id];
    if (!expected) {
      problems.push(`${r.id}: no expectation for this MUST on kind (add it to scripts/expect-kind-verdicts.mjs)`);
      continue;
    }
    if (r.verdict !== expected.verdict)
      problems.push(`${r.id} is ${r.verdict}, expected ${expected.verdict} (add-on: ${expected.addon}): ${r.reason ?? 'no reason given'}`);
  }
  if (results.leaked !== 0) problems.push(`leaked objects: ${results.leaked}`);
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/expect-kind-verdicts.mjs RESULTS_JSON');
    process.exit(2);
  }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const problems = unexpectedVerdicts(results);
  for (const line of problems) console.log(`::error::Kubernetes ${results.kubernetesVersion}: ${line}`);
  if (problems.length === 0) console.log(`Kubernetes ${results.kubernetesVersion}: every MUST reached its expected verdict on kind`);
  process.exit(problems.length === 0 ? 0 : 1);
}
