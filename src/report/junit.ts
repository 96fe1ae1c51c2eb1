// junit_01.xml: the evidence file CNCF submissions attach. One <testsuite> per category; a
// <testcase> per requirement and one per sub-check, so JUnit readers show both the verdict and
// the step that decided it. failed → <failure>, error → <error>, and the verdicts that were not
// checked (skipped, not-applicable, manual) → <skipped message="…">, as JUnit readers expect.

import type { CheckResult, RequirementResult, RunResults, Verdict } from '../model/results.js';
import { escapeXmlAttribute as attr, escapeXmlText as text } from './escape.js';
import { byCategory, formatOffset, replacedProbeSentence, replacedProbes, VERDICT_LABEL } from './format.js';

export interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

const SUITE_PREFIX = 'ai-conformance';

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function countVerdict(counts: JunitCounts, verdict: Verdict): void {
  counts.tests += 1;
  if (verdict === 'failed') counts.failures += 1;
  else if (verdict === 'error') counts.errors += 1;
  else if (verdict !== 'passed') counts.skipped += 1;
}

/** What the XML's counters say for these requirements: every requirement and every sub-check. */
export function junitCounts(requirements: readonly RequirementResult[]): JunitCounts {
  const counts: JunitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const requirement of requirements) {
    countVerdict(counts, requirement.verdict);
    for (const check of requirement.checks) countVerdict(counts, check.verdict);
  }
  return counts;
}

function outcome(verdict: Verdict, reason: string, body: string, indent: string): string {
  const message = attr(reason);
  switch (verdict) {
    case 'passed':
      return '';
    case 'failed':
      return `${indent}<failure message="${message}" type="failed">${text(body)}</failure>\n`;
    case 'error':
      return `${indent}<error message="${message}" type="error">${text(body)}</error>\n`;
    default:
      return `${indent}<skipped message="${attr(`${VERDICT_LABEL[verdict]}: ${reason}`)}"></skipped>\n`;
  }
}

function observationsText(requirement: RequirementResult): string {
  return requirement.observations.map((o) => `${formatOffset(o.atMs)} ${o.message}`).join('\n');
}

function requirementCase(requirement: RequirementResult): string {
  const name = `[AIConformance] ${requirement.id} [${requirement.level}]`;
  const classname = `${SUITE_PREFIX}.${requirement.category}`;
  const body = [requirement.reason, ...requirement.checks.map((c) => `${c.name}: ${VERDICT_LABEL[c.verdict]}: ${c.reason}`)].join('\n');
  const out: string[] = [
    `    <testcase name="${attr(name)}" classname="${attr(classname)}" status="${requirement.verdict}" time="${seconds(requirement.durationMs)}">\n`,
    outcome(requirement.verdict, requirement.reason, body, '      '),
  ];
  const log = observationsText(requirement);
  if (log !== '') out.push(`      <system-out>${text(log)}</system-out>\n`);
  out.push('    </testcase>\n');
  return out.join('');
}

function checkCase(requirement: RequirementResult, check: CheckResult): string {
  const name = `[AIConformance] ${requirement.id} › ${check.name}`;
  const classname = `${SUITE_PREFIX}.${requirement.category}.${requirement.id}`;
  const inner = outcome(check.verdict, check.reason, check.reason, '      ');
  const open = `    <testcase name="${attr(name)}" classname="${attr(classname)}" status="${check.verdict}" time="${seconds(check.durationMs)}">`;
  return inner === '' ? `${open}</testcase>\n` : `${open}\n${inner}    </testcase>\n`;
}

function countsAttributes(counts: JunitCounts): string {
  return `tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}"`;
}

export function renderJunit(results: RunResults): string {
  const all = junitCounts(results.requirements);
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<testsuites name="${attr(`Kubernetes AI Conformance v${results.kubernetesVersion}`)}" ${countsAttributes(all)} time="${seconds(results.durationMs)}">\n`,
  ];
  for (const [category, requirements] of byCategory(results)) {
    const counts = junitCounts(requirements);
    const time = requirements.reduce((sum, r) => sum + r.durationMs, 0);
    out.push(
      `  <testsuite name="${attr(`${SUITE_PREFIX}.${category}`)}" ${countsAttributes(counts)} disabled="0" time="${seconds(time)}" timestamp="${attr(results.startedAt)}">\n`,
      '    <properties>\n',
      `      <property name="tool" value="${attr(`${results.tool.name} ${results.tool.version}`)}"></property>\n`,
      `      <property name="runId" value="${attr(results.runId)}"></property>\n`,
      `      <property name="kubernetesVersion" value="${attr(results.kubernetesVersion)}"></property>\n`,
      `      <property name="clusterMode" value="${attr(results.cluster.mode)}"></property>\n`,
      `      <property name="simulated" value="${results.cluster.simulated}"></property>\n`,
      ...(results.runUrl ? [`      <property name="runUrl" value="${attr(results.runUrl)}"></property>\n`] : []),
      ...replacedProbes(results).map((r) => `      <property name="replacedProbe" value="${attr(replacedProbeSentence(r))}"></property>\n`),
      '    </properties>\n',
    );
    for (const requirement of requirements) {
      out.push(requirementCase(requirement));
      for (const check of requirement.checks) out.push(checkCase(requirement, check));
    }
    out.push('  </testsuite>\n');
  }
  out.push('</testsuites>\n');
  return out.join('');
}
