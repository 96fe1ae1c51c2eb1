// The results model: what a run found, in a shape every reporter renders from.
// It is written to results.json and can be re-rendered later with `report`; its JSON Schema
// lives in schema/results.schema.json and must be kept in step with these types.

import type { Category, KubernetesVersion, Level } from '../requirements/catalog.js';

export const RESULTS_SCHEMA_VERSION = 1;

/**
 * passed          the requirement was checked and met
 * failed          the requirement was checked and not met
 * not-applicable  the requirement does not apply to this platform (the reason says why)
 * error           the probe could not decide (API error, timeout, cancelled)
 * skipped         the user filtered the requirement out
 * manual          the requirement needs human attestation (the reason says what to do)
 */
export type Verdict = 'passed' | 'failed' | 'not-applicable' | 'error' | 'skipped' | 'manual';

export const VERDICTS: readonly Verdict[] = ['passed', 'failed', 'not-applicable', 'error', 'skipped', 'manual'];

/** One observable step of a probe: what it did and what it saw. */
export interface CheckResult {
  name: string;
  verdict: Verdict;
  /** One line: what was seen (for passed) or why not (otherwise). */
  reason: string;
  durationMs: number;
}

export interface Observation {
  /** Milliseconds since the probe started. */
  atMs: number;
  message: string;
}

export interface RequirementResult {
  id: string;
  category: Category;
  level: Level;
  /** Our one-line summary of the requirement. */
  summary: string;
  verdict: Verdict;
  /** One line a reviewer can act on. */
  reason: string;
  /** Where the probe came from: "builtin" or the path of a --probe-dir module. */
  probe: string;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  observations: Observation[];
  /** Extra notes for the checklist entry (required by the CNCF validator for N/A). */
  notes?: string;
  /**
   * True for a requirement not in the catalog, probed by a --probe-dir module (a proposal):
   * reported in summary, JUnit and SARIF, never written into the checklist.
   */
  proposed?: boolean;
}

export interface ClusterInfo {
  /** How the cluster was reached. "fake" is the test simulation and certifies nothing. */
  mode: 'kind' | 'kubeconfig' | 'in-cluster' | 'fake';
  context?: string;
  /** The server's git version, e.g. v1.35.1. */
  serverVersion?: string;
  /** True when the cluster is a simulation; every report says so. */
  simulated: boolean;
}

export interface AcceleratorInfo {
  profile: string;
  /** True when the profile was detected from the cluster rather than given. */
  detected: boolean;
  detail: string;
}

/** Something the run created that cleanup could not prove gone. */
export interface LeftoverObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  /** Absent when a whole kind could not be checked (the note says why). */
  name?: string;
  note?: string;
}

/** "ClusterQueue aic-x", "ConfigMap ns/name (note)", or "ConfigMap objects (not verified: why)". */
export function describeLeftover(o: LeftoverObject): string {
  if (!o.name) return `${o.kind} objects (${o.note ?? 'not verified'})`;
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}${o.note ? ` (${o.note})` : ''}`;
}

export interface CleanupSummary {
  /** False when the run was forced to exit before its cleanup finished. */
  finished: boolean;
  /** What is (or may be) left, by kind/namespace/name; empty when clean. */
  leftovers: LeftoverObject[];
  /** One command that deletes what is left, naming only kinds this cluster serves. */
  command?: string;
}

export interface RunResults {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  tool: { name: string; version: string };
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  kubernetesVersion: KubernetesVersion;
  cluster: ClusterInfo;
  accelerator?: AcceleratorInfo;
  requirements: RequirementResult[];
  /** Objects labelled with this run's id still present after cleanup; must be 0. */
  leaked: number;
  /** What cleanup left and how to delete it (absent in results written before it existed). */
  cleanup?: CleanupSummary;
  /** Set when the run was cut short (a second signal): the results are partial. */
  interrupted?: string;
  /** The workflow run URL when run in GitHub Actions. */
  runUrl?: string;
}

/** A MUST requirement blocks submission unless it passed. */
export function blockingRequirements(results: RunResults): RequirementResult[] {
  return results.requirements.filter((r) => r.level === 'MUST' && r.verdict !== 'passed');
}

export function isReadyToSubmit(results: RunResults): boolean {
  return blockingRequirements(results).length === 0 && results.leaked === 0 && !results.cluster.simulated && !results.interrupted;
}

export function countByVerdict(results: RunResults): Record<Verdict, number> {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const r of results.requirements) counts[r.verdict] += 1;
  return counts;
}

/** Exit code of a finished run (DESIGN.md §3): 1 when any MUST requirement failed or errored. */
export function exitCodeFor(results: RunResults): 0 | 1 {
  const bad = results.requirements.some((r) => r.level === 'MUST' && (r.verdict === 'failed' || r.verdict === 'error'));
  return bad || results.leaked > 0 || results.interrupted ? 1 : 0;
}
