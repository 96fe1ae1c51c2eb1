// The results model: what a run found, in a shape every reporter renders from.
// It is written to ai-conformance.json and can be re-rendered later with `report`; its JSON
// Schema lives in schema/results.schema.json and must be kept in step with these types.
// (results.json beside it is the CNCF validator's `go test -json` artifact, not this model.)

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

/**
 * A fact about the platform a probe found on its way (which Kueue, which Gateway controller,
 * which monitoring stack) and the version the cluster states for it, for the evidence documents
 * and the submission README. Facts are reported, never judged: they do not change a verdict.
 */
export interface PlatformFact {
  /** What was found, e.g. "Kueue", "Gateway API controller", "Prometheus Operator". */
  component: string;
  /**
   * The version as the cluster states it (an image tag, an app.kubernetes.io/version label, a
   * CRD annotation); absent when none was found, which reports show as "version not found".
   */
  version?: string;
  /** Where the version was read (or why none was), e.g. "image tag of Deployment kueue-system/kueue-controller-manager". */
  source: string;
  /** One more line about it, e.g. a GatewayClass and its controllerName. */
  detail?: string;
}

/** What reports say for a component whose version the cluster does not state: never a guess. */
export const VERSION_NOT_FOUND = 'version not found';

/** An object a probe created (and the run deleted again), for the evidence documents. */
export interface CreatedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
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
  /** What the probe created in the cluster, in creation order (all of it deleted at the end). */
  created?: CreatedObject[];
  /** Platform facts the probe found (components and their versions), in the order reported. */
  facts?: PlatformFact[];
}

export interface ClusterInfo {
  /** How the cluster was reached. "fake" is the test simulation and certifies nothing. */
  mode: 'kind' | 'kubeconfig' | 'in-cluster' | 'fake';
  context?: string;
  /** The server's git version, e.g. v1.35.1. */
  serverVersion?: string;
  /** True when the cluster is a simulation; every report says so. */
  simulated: boolean;
  /** Why the run is simulated, in one line (the fake API server, kind with a fake driver). */
  simulatedBecause?: string;
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

/**
 * The one N/A on a MUST that the CNCF validator accepts (with a warning): cluster_autoscaling,
 * whose text starts "If the platform provides…", with notes that say why.
 */
export function isAcceptedNotApplicable(r: RequirementResult): boolean {
  return r.id === 'cluster_autoscaling' && r.verdict === 'not-applicable' && (r.notes ?? r.reason).trim() !== '';
}

/** MUSTs that were checked (not left out by --only/--skip/--level) and are not proven. */
export function unprovenMusts(results: RunResults): RequirementResult[] {
  return results.requirements.filter(
    (r) => r.level === 'MUST' && r.verdict !== 'passed' && r.verdict !== 'skipped' && !isAcceptedNotApplicable(r),
  );
}

/** MUSTs the user left out with --only, --skip or --level. */
export function leftOutMusts(results: RunResults): RequirementResult[] {
  return results.requirements.filter((r) => r.level === 'MUST' && r.verdict === 'skipped');
}

/** A MUST requirement blocks submission unless it passed (or is the N/A the validator accepts). */
export function blockingRequirements(results: RunResults): RequirementResult[] {
  return results.requirements.filter((r) => r.level === 'MUST' && r.verdict !== 'passed' && !isAcceptedNotApplicable(r));
}

/**
 * passed   every MUST of the version passed, or is an N/A the validator accepts, and nothing leaked
 * partial  as passed for the MUSTs that were checked, but some were left out (--only/--skip/--level)
 * failed   a MUST failed, errored, is manual or an N/A the validator refuses, objects leaked, or
 *          the run was interrupted
 */
export type RunOutcome = 'passed' | 'partial' | 'failed';

export function runOutcome(results: RunResults): RunOutcome {
  if (unprovenMusts(results).length > 0 || results.leaked > 0 || results.interrupted) return 'failed';
  return leftOutMusts(results).length > 0 ? 'partial' : 'passed';
}

export function isReadyToSubmit(results: RunResults): boolean {
  return runOutcome(results) === 'passed' && !results.cluster.simulated;
}

export function countByVerdict(results: RunResults): Record<Verdict, number> {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const r of results.requirements) counts[r.verdict] += 1;
  return counts;
}

/**
 * Exit code of a finished run (README, "Exit codes"): 1 when the outcome is failed (a MUST that
 * failed, errored, is manual or an unaccepted N/A, or a leak); 0 for passed and partial.
 */
export function exitCodeFor(results: RunResults): 0 | 1 {
  return runOutcome(results) === 'failed' ? 1 : 0;
}

/** A platform fact and the requirements whose probes reported it. */
export interface ReportedFact extends PlatformFact {
  requirements: string[];
}

/** Every distinct platform fact of the run (same component, version, source and detail once), in report order. */
export function platformFacts(results: RunResults): ReportedFact[] {
  const byKey = new Map<string, ReportedFact>();
  for (const r of results.requirements) {
    for (const fact of r.facts ?? []) {
      const key = JSON.stringify([fact.component, fact.version ?? '', fact.source, fact.detail ?? '']);
      const known = byKey.get(key);
      if (known) {
        if (!known.requirements.includes(r.id)) known.requirements.push(r.id);
      } else byKey.set(key, { ...fact, requirements: [r.id] });
    }
  }
  return [...byKey.values()];
}

/** The results with each requirement's created objects (from the session's registry, by probe id). */
export function withCreatedObjects(results: RunResults, created: ReadonlyArray<CreatedObject & { probe: string }>): RunResults {
  return {
    ...results,
    requirements: results.requirements.map((r) => {
      const mine = created
        .filter((c) => c.probe === r.id)
        .map(({ apiVersion, kind, name, namespace }) => ({ apiVersion, kind, name, ...(namespace ? { namespace } : {}) }));
      return mine.length > 0 ? { ...r, created: mine } : r;
    }),
  };
}
