// Small shared wording for every report: verdict labels, durations, category order.

import { CATEGORIES, type Category } from '../requirements/catalog.js';
import { VERSION_NOT_FOUND, type PlatformFact, type RequirementResult, type RunResults, type Verdict } from '../model/results.js';

export const VERDICT_EMOJI: Record<Verdict, string> = {
  passed: '✅',
  failed: '❌',
  error: '⚠️',
  'not-applicable': '➖',
  skipped: '⏭️',
  manual: '✋',
};

export const VERDICT_LABEL: Record<Verdict, string> = {
  passed: 'passed',
  failed: 'failed',
  error: 'error',
  'not-applicable': 'not applicable',
  skipped: 'skipped',
  manual: 'manual',
};

export const CATEGORY_TITLE: Record<Category, string> = {
  accelerators: 'Accelerators',
  networking: 'Networking',
  schedulingOrchestration: 'Scheduling and orchestration',
  observability: 'Observability',
  security: 'Security',
  operator: 'Operator',
};

export function categoryTitle(category: string): string {
  return (CATEGORY_TITLE as Record<string, string>)[category] ?? category;
}

/** "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const totalSeconds = Math.round(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** "+1.234s" relative to the probe start, as the e2e log and details show observations. */
export function formatOffset(ms: number): string {
  return `+${(Math.max(0, ms) / 1000).toFixed(3)}s`;
}

/** Requirements grouped by category, template order first, unknown categories after. */
export function byCategory(results: RunResults): [string, RequirementResult[]][] {
  const groups = new Map<string, RequirementResult[]>();
  for (const category of CATEGORIES) groups.set(category, []);
  for (const requirement of results.requirements) {
    const list = groups.get(requirement.category) ?? [];
    list.push(requirement);
    groups.set(requirement.category, list);
  }
  return [...groups.entries()].filter(([, list]) => list.length > 0);
}

/** How the cluster was reached, in words, for headers. */
export function clusterDescription(results: RunResults): string {
  const { cluster } = results;
  const parts: string[] = [cluster.mode];
  if (cluster.serverVersion) parts.push(`server ${cluster.serverVersion}`);
  if (cluster.simulated) parts.push('SIMULATED');
  return parts.join(', ');
}

/** A built-in requirement checked by a --probe-dir module instead of the tool's own probe (--replace-builtin). */
export interface ReplacedProbe {
  id: string;
  /** The module that checked it. */
  by: string;
}

/** Every built-in requirement the run checked with a replacement probe; every report says so prominently. */
export function replacedProbes(results: RunResults): ReplacedProbe[] {
  return results.requirements
    .filter((r) => !r.proposed && r.probe !== 'builtin' && r.probe !== 'none')
    .map((r) => ({ id: r.id, by: r.probe }));
}

/** One sentence for a replaced probe, plain text (each writer escapes it for its format). */
export function replacedProbeSentence(replaced: ReplacedProbe): string {
  return `${replaced.id} was checked by ${replaced.by} (--replace-builtin), not by this tool's built-in probe.`;
}

/** A platform fact's version and where it was read, in one line (plain text: escape before Markdown). */
export function factText(fact: PlatformFact): string {
  return `${fact.version ?? VERSION_NOT_FOUND} (${fact.source})${fact.detail ? `; ${fact.detail}` : ''}`;
}
