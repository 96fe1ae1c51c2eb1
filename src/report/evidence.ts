// evidence/<id>.md: one document per requirement that a reviewer can follow without the tool:
// the requirement's official text, the verdict and the test that carries it, the platform it ran
// on (with the components and versions the probe found), what the probe created, the kubectl commands that show the same objects, each check and
// every observation with its time.

import type { CreatedObject, RequirementResult, RunResults } from '../model/results.js';
import { requirementsFor, testNameFor } from '../requirements/catalog.js';
import { escapeMarkdown as md } from './escape.js';
import { factText, formatDuration, formatOffset, VERDICT_LABEL } from './format.js';
import { simulationMessage } from './gotest.js';

export const EVIDENCE_DIR = 'evidence';

export function evidencePath(id: string): string {
  return `${EVIDENCE_DIR}/${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.md`;
}

/** A word kubectl takes as is; anything else is single-quoted for the shell. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** `kubectl get` of one created object: kind.version.group resolves any API group unambiguously. */
export function kubectlGet(object: CreatedObject): string {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const resource = group ? `${object.kind.toLowerCase()}.${version}.${group}` : object.kind.toLowerCase();
  const namespace = object.namespace ? ` -n ${shellWord(object.namespace)}` : '';
  return `kubectl get ${shellWord(resource)} ${shellWord(object.name)}${namespace} -o yaml`;
}

function objectLabel(object: CreatedObject): string {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name} (${object.apiVersion})`;
}

function platformRows(results: RunResults, r: RequirementResult): Array<[string, string]> {
  const { cluster, accelerator } = results;
  const rows: Array<[string, string]> = [
    ['Kubernetes', `${cluster.serverVersion ?? 'unknown'} (checked against the v${results.kubernetesVersion} requirements)`],
    ['Cluster', `${cluster.context ? `context ${cluster.context}, ` : ''}${cluster.mode}${cluster.simulated ? ', SIMULATED' : ''}`],
  ];
  if (accelerator)
    rows.push(['Accelerators', `${accelerator.profile} (${accelerator.detected ? 'detected' : 'given'}: ${accelerator.detail})`]);
  // What this requirement's probe found on the platform, each with its version or "version not found".
  for (const fact of r.facts ?? []) rows.push([fact.component, factText(fact)]);
  rows.push(['Tool', `${results.tool.name} ${results.tool.version}, run ${results.runId}`]);
  rows.push([
    'Run',
    `${results.startedAt} to ${results.finishedAt} (${formatDuration(results.durationMs)})${results.runUrl ? `, ${results.runUrl}` : ''}`,
  ]);
  return rows;
}

export function renderEvidence(results: RunResults, r: RequirementResult): string {
  const official = requirementsFor(results.kubernetesVersion).find((x) => x.id === r.id)?.description ?? r.summary;
  const test = testNameFor(r.id);
  const out: string[] = [
    `# ${md(r.id)}: ${VERDICT_LABEL[r.verdict]} (${r.level}, Kubernetes AI Conformance v${results.kubernetesVersion})`,
    '',
  ];
  if (results.cluster.simulated) out.push(`> [!CAUTION]`, `> SIMULATED: ${md(simulationMessage(results))}.`, '');
  out.push(`> ${md(official)}`, '');
  out.push(`**Result:** ${VERDICT_LABEL[r.verdict]} in ${formatDuration(r.durationMs)}: ${md(r.reason)}`, '');
  if (r.notes) out.push(`**Notes:** ${md(r.notes)}`, '');
  out.push(
    `**Test:** \`${test}\` in \`junit.xml\`, \`results.json\` and \`e2e.log\`; its checks are the subtests \`${test}/…\`. Probe: ${md(r.probe)}, started ${md(r.startedAt)}.`,
    '',
  );

  out.push('## Platform', '', '| | |', '|---|---|');
  for (const [name, value] of platformRows(results, r)) out.push(`| ${md(name)} | ${md(value)} |`);
  out.push('');

  const created = r.created ?? [];
  out.push('## What was created', '');
  if (created.length === 0)
    out.push(
      r.verdict === 'skipped' || r.probe === 'none'
        ? 'Nothing: no probe ran for this requirement.'
        : 'Nothing that the run recorded: the probe read the cluster only.',
    );
  else for (const object of created) out.push(`- ${md(objectLabel(object))}`);
  out.push(
    '',
    `Everything the run created carries the label \`ai-conformance.cncf.io/run=${md(results.runId)}\` and was deleted at the end; objects left behind: ${results.leaked}.`,
    '',
  );

  out.push(
    '## The same by hand',
    '',
    'While a run is going (or with `--keep-cluster` on kind), these show what the probe created:',
    '',
    '```sh',
  );
  out.push(`kubectl get all,events -A -l ai-conformance.cncf.io/run=${shellWord(results.runId)}`);
  for (const object of created) out.push(kubectlGet(object));
  out.push('```', '');

  out.push('## Checks', '');
  if (r.checks.length === 0) out.push('No checks were recorded.');
  else {
    out.push('| check | result | time | what was seen |', '|---|---|---|---|');
    for (const check of r.checks)
      out.push(`| ${md(check.name)} | ${VERDICT_LABEL[check.verdict]} | ${formatDuration(check.durationMs)} | ${md(check.reason)} |`);
  }
  out.push('', '## Observations', '');
  if (r.observations.length === 0) out.push('None.');
  else {
    out.push('| at | observation |', '|---|---|');
    for (const o of r.observations) out.push(`| ${formatOffset(o.atMs)} | ${md(o.message)} |`);
  }
  return `${out.join('\n')}\n`;
}
