// e2e.log: the human log of a run, attached as evidence beside PRODUCT.yaml. A header that says
// what ran against what, then per requirement its checks and timestamped observations.

import type { RequirementResult, RunResults } from '../model/results.js';
import { countByVerdict, exitCodeFor, isReadyToSubmit, VERDICTS } from '../model/results.js';
import { escapeLogLine as clean } from './escape.js';
import { formatDuration, formatOffset, replacedProbeSentence, replacedProbes, VERDICT_LABEL } from './format.js';
import { cleanupLines } from './cleanup.js';

const RULE = '='.repeat(78);
const THIN_RULE = '-'.repeat(78);

const bannerLine = (text: string): string => `#  ${text}`.padEnd(77) + '#';

export const SIMULATION_BANNER = [
  '#'.repeat(78),
  bannerLine('SIMULATION: these results come from a simulated cluster, not a real one.'),
  bannerLine('They certify nothing and must not be submitted as conformance evidence.'),
  '#'.repeat(78),
];

/** ISO time of an observation: the probe's start plus its offset (the offset alone if unparsable). */
function observationTime(requirement: RequirementResult, atMs: number): string {
  const start = Date.parse(requirement.startedAt);
  return Number.isNaN(start) ? formatOffset(atMs) : `${new Date(start + atMs).toISOString()} ${formatOffset(atMs)}`;
}

function requirementSection(requirement: RequirementResult): string[] {
  const lines = [
    THIN_RULE,
    `[${requirement.verdict.toUpperCase()}] ${clean(requirement.id)} (${requirement.level}, ${clean(requirement.category)}${requirement.proposed ? ', proposed' : ''}) in ${formatDuration(requirement.durationMs)}`,
    `  requirement: ${clean(requirement.summary)}`,
    `  probe:       ${clean(requirement.probe)}`,
    `  started:     ${clean(requirement.startedAt)}`,
    `  reason:      ${clean(requirement.reason)}`,
  ];
  if (requirement.notes) lines.push(`  notes:       ${clean(requirement.notes)}`);
  if (requirement.checks.length > 0) {
    lines.push('  checks:');
    for (const check of requirement.checks) {
      lines.push(`    - [${VERDICT_LABEL[check.verdict]}] ${clean(check.name)} (${formatDuration(check.durationMs)}): ${clean(check.reason)}`);
    }
  }
  if (requirement.observations.length > 0) {
    lines.push('  observations:');
    for (const observation of requirement.observations) {
      lines.push(`    ${observationTime(requirement, observation.atMs)} ${clean(observation.message)}`);
    }
  }
  return lines;
}

export function renderE2eLog(results: RunResults): string {
  const counts = countByVerdict(results);
  const lines: string[] = [];
  if (results.cluster.simulated) lines.push(...SIMULATION_BANNER, '');
  for (const replaced of replacedProbes(results)) lines.push(`BUILT-IN PROBE REPLACED: ${clean(replacedProbeSentence(replaced))}`, '');
  lines.push(
    RULE,
    `Kubernetes AI Conformance — ${clean(results.tool.name)} ${clean(results.tool.version)}`,
    RULE,
    `run id:             ${clean(results.runId)}`,
    `kubernetes version: v${results.kubernetesVersion}${results.cluster.serverVersion ? ` (server ${clean(results.cluster.serverVersion)})` : ''}`,
    `cluster mode:       ${results.cluster.mode}${results.cluster.simulated ? ' (SIMULATED)' : ''}`,
  );
  if (results.cluster.context) lines.push(`context:            ${clean(results.cluster.context)}`);
  if (results.accelerator) {
    const how = results.accelerator.detected ? 'detected' : 'given';
    lines.push(`accelerator:        ${clean(results.accelerator.profile)} (${how}: ${clean(results.accelerator.detail)})`);
  }
  lines.push(
    `started:            ${clean(results.startedAt)}`,
    `finished:           ${clean(results.finishedAt)} (${formatDuration(results.durationMs)})`,
  );
  if (results.runUrl) lines.push(`workflow run:       ${clean(results.runUrl)}`);
  const cleanup = cleanupLines(results);
  if (cleanup.interrupted) lines.push(`INTERRUPTED:        ${clean(cleanup.interrupted)}; these results are partial and cleanup did not finish`);
  lines.push('');
  for (const requirement of results.requirements) lines.push(...requirementSection(requirement));
  lines.push(
    RULE,
    `Summary: ${VERDICTS.map((v) => `${counts[v]} ${VERDICT_LABEL[v]}`).join(', ')}`,
    `Objects left behind after cleanup: ${results.leaked}`,
    ...cleanup.leftovers.map((leftover) => `  left: ${clean(leftover)}`),
    ...(cleanup.command ? [`Delete what is left with: ${clean(cleanup.command)}`] : []),
    `Ready to submit: ${isReadyToSubmit(results) ? 'yes' : 'no'}${results.cluster.simulated ? ' (simulated cluster)' : ''}`,
    `Exit code: ${exitCodeFor(results)}`,
  );
  if (results.cluster.simulated) lines.push('', ...SIMULATION_BANNER);
  return `${lines.join('\n')}\n`;
}
