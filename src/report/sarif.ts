// results.sarif: SARIF 2.1.0 for GitHub code scanning. A rule per requirement of the Kubernetes
// version (plus any extra requirement the run probed), a result per failed or errored
// requirement: `error` for MUST, `warning` for SHOULD. The location is the requirement's `- id:`
// line in PRODUCT.yaml (see locations.ts). Fingerprints hash only the rule id and Kubernetes
// version, never times or lines, so an alert stays the same alert across runs.

import { createHash } from 'node:crypto';
import type { RequirementResult, RunResults } from '../model/results.js';
import { requirementsFor, testNameFor, type Requirement } from '../requirements/catalog.js';
import { escapeMarkdown, sanitize, truncateText } from './escape.js';
import { categoryTitle, replacedProbeSentence, replacedProbes } from './format.js';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
export const TOOL_INFORMATION_URI = 'https://github.com/cncf/k8s-ai-conformance';

export interface SarifLocation {
  /** Repository-relative, forward slashes. */
  uri: string;
  startLine: number;
}

export interface SarifOptions {
  /** Where an alert for a requirement points. */
  locate: (requirementId: string) => SarifLocation;
  /** runs[].automationDetails.id; a trailing "/" is added so the whole value is the category. */
  category?: string;
}

interface SarifMessage {
  text: string;
  markdown?: string;
}

interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: SarifMessage;
  helpUri?: string;
  defaultConfiguration: { level: 'error' | 'warning' };
  properties: { tags: string[]; precision: string; 'problem.severity': string };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error' | 'warning';
  message: SarifMessage;
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
  partialFingerprints: Record<string, string>;
  properties: Record<string, string | boolean>;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: {
    tool: { driver: { name: string; version: string; semanticVersion: string; informationUri: string; rules: SarifRule[] } };
    automationDetails: { id: string };
    invocations: { executionSuccessful: boolean; startTimeUtc?: string; endTimeUtc?: string }[];
    results: SarifResult[];
    properties: Record<string, string | boolean | number>;
  }[];
}

const DESCRIPTION_MAX = 1024;

/** "ai-conformance/k8s-1.35/" unless a category is given. */
export function automationId(results: RunResults, category?: string): string {
  const base = category?.trim() || `ai-conformance/k8s-${results.kubernetesVersion}`;
  return base.endsWith('/') ? base : `${base}/`;
}

/** Stable across runs: depends on the rule and the Kubernetes version only. */
export function fingerprint(ruleId: string, kubernetesVersion: string): string {
  return createHash('sha256').update(`ai-conformance|${ruleId}|${kubernetesVersion}`).digest('hex');
}

function ruleName(id: string): string {
  // SARIF rule names are PascalCase identifiers; GitHub shows the id when it has no name.
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

function buildRule(requirement: Requirement & { proposed: boolean }, kubernetesVersion: string): SarifRule {
  const summary = sanitize(requirement.summary);
  // The official requirement text where the template has one (our label only for proposals).
  const official = sanitize(requirement.description || requirement.summary);
  const where = `${categoryTitle(requirement.category)} · ${requirement.level} · Kubernetes AI Conformance v${kubernetesVersion}`;
  const full = truncateText(`${official} (${where})`, DESCRIPTION_MAX);
  const helpText = [
    `${requirement.id} (${requirement.level}, ${requirement.category}): ${official}`,
    '',
    'The alert means the conformance probe for this requirement failed or could not decide.',
    'The job summary and e2e.log of the run list every check and observation.',
    requirement.level === 'MUST'
      ? 'A MUST requirement has to pass (status Implemented) before PRODUCT.yaml can be submitted.'
      : 'A SHOULD requirement may stay empty in PRODUCT.yaml, but a failed probe is worth a look.',
    'Re-run locally: ai-conformance run --only ' + requirement.id,
  ].join('\n');
  const helpMarkdown = [
    `**${escapeMarkdown(requirement.id)}** (${requirement.level}, ${escapeMarkdown(categoryTitle(requirement.category))})`,
    '',
    escapeMarkdown(official),
    '',
    'The alert means the conformance probe for this requirement failed or could not decide. ' +
      'The job summary and `e2e.log` of the run list every check and observation.',
    '',
    requirement.level === 'MUST'
      ? 'A **MUST** requirement has to pass (`status: Implemented`) before `PRODUCT.yaml` can be submitted.'
      : 'A **SHOULD** requirement may stay empty in `PRODUCT.yaml`, but a failed probe is worth a look.',
    '',
    `Re-run locally: \`ai-conformance run --only ${requirement.id.replace(/[^A-Za-z0-9_.-]/g, '')}\``,
  ].join('\n');
  const level = requirement.level === 'MUST' ? 'error' : 'warning';
  return {
    id: requirement.id,
    name: truncateText(ruleName(requirement.id), 255) || 'Requirement',
    shortDescription: { text: truncateText(summary, DESCRIPTION_MAX) },
    fullDescription: { text: full },
    help: { text: helpText, markdown: helpMarkdown },
    helpUri: TOOL_INFORMATION_URI,
    defaultConfiguration: { level },
    properties: {
      tags: [
        'ai-conformance',
        `k8s-${kubernetesVersion}`,
        requirement.category,
        requirement.level.toLowerCase(),
        ...(requirement.proposed ? ['proposed'] : []),
      ],
      precision: 'high',
      'problem.severity': level === 'error' ? 'error' : 'warning',
    },
  };
}

function resultMessage(results: RunResults, r: RequirementResult): string {
  // The first sentence is the alert title on GitHub.
  const what = r.verdict === 'failed' ? 'failed' : 'could not be checked';
  const title = `${r.level} requirement ${r.id} ${what}.`;
  const simulated = results.cluster.simulated ? ' (Simulated cluster: this certifies nothing.)' : '';
  const replaced = replacedProbes(results).find((p) => p.id === r.id);
  const by = replaced ? ` (Built-in probe replaced: ${sanitize(replacedProbeSentence(replaced))})` : '';
  return truncateText(`${title} ${sanitize(r.reason)}${simulated}${by}`, 4000);
}

/** The rules: every requirement of the version in template order, then any extra the run probed. */
function rulesFor(results: RunResults): (Requirement & { proposed: boolean })[] {
  const proposed = new Set(results.requirements.filter((r) => r.proposed).map((r) => r.id));
  const rules: Requirement[] = requirementsFor(results.kubernetesVersion);
  const known = new Set(rules.map((r) => r.id));
  for (const r of results.requirements) {
    if (!known.has(r.id)) {
      rules.push({
        id: r.id,
        category: r.category,
        level: r.level,
        summary: r.summary,
        description: r.summary,
        testName: testNameFor(r.id),
      });
      known.add(r.id);
    }
  }
  // A run's level wins over the catalog's (e.g. a proposed requirement promoted in a WG run).
  const levels = new Map(results.requirements.map((r) => [r.id, r.level]));
  return rules.map((r) => ({ ...r, level: levels.get(r.id) ?? r.level, proposed: proposed.has(r.id) }));
}

export function buildSarif(results: RunResults, options: SarifOptions): SarifLog {
  const rules = rulesFor(results);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const findings = results.requirements.filter((r) => r.verdict === 'failed' || r.verdict === 'error');
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: results.tool.name,
            version: results.tool.version,
            semanticVersion: results.tool.version,
            informationUri: TOOL_INFORMATION_URI,
            rules: rules.map((r) => buildRule(r, results.kubernetesVersion)),
          },
        },
        automationDetails: { id: automationId(results, options.category) },
        invocations: [{ executionSuccessful: true, startTimeUtc: results.startedAt, endTimeUtc: results.finishedAt }],
        results: findings.map((r) => {
          const location = options.locate(r.id);
          const hash = fingerprint(r.id, results.kubernetesVersion);
          return {
            ruleId: r.id,
            ruleIndex: index.get(r.id) ?? 0,
            level: r.level === 'MUST' ? 'error' : 'warning',
            message: { text: resultMessage(results, r) },
            locations: [
              { physicalLocation: { artifactLocation: { uri: location.uri }, region: { startLine: Math.max(1, location.startLine) } } },
            ],
            partialFingerprints: {
              // GitHub only reads primaryLocationLineHash; setting it keeps alerts stable when the line moves.
              primaryLocationLineHash: `${hash.slice(0, 16)}:1`,
              'aiConformanceRequirement/v1': hash,
            },
            properties: { verdict: r.verdict, category: r.category, simulated: results.cluster.simulated },
          };
        }),
        properties: {
          kubernetesVersion: results.kubernetesVersion,
          simulated: results.cluster.simulated,
          clusterMode: results.cluster.mode,
          ...(replacedProbes(results).length ? { replacedProbes: replacedProbes(results).map(replacedProbeSentence).join(' ') } : {}),
        },
      },
    ],
  };
}

export function renderSarif(results: RunResults, options: SarifOptions): string {
  return `${JSON.stringify(buildSarif(results, options), null, 2)}\n`;
}
