// The runner: runs the planned probes concurrently (up to --parallel, never two sharing an
// exclusive resource), each in its own labelled namespace under its own timeout and the run's
// abort signal; turns what each recorded into a verdict; then deletes everything the run created
// and counts what is left (`leaked`).

import { setMaxListeners } from 'node:events';
import { redactSecrets } from '../secrets.js';
import { oneLine } from '../errors.js';
import type { Kube } from '../kube/types.js';
import type { ProbeViewOptions } from '../kube/client.js';
import type { CleanupOptions, CleanupResult } from '../kube/cleanup.js';
import {
  RESULTS_SCHEMA_VERSION,
  type ClusterInfo,
  type CleanupSummary,
  type LeftoverObject,
  type RequirementResult,
  type RunResults,
} from '../model/results.js';
import type { KubernetesVersion } from '../requirements/catalog.js';
import {
  ProbeConclusion,
  StepDidNotPass,
  type AcceleratorProfile,
  type Clock,
  type ImageCatalog,
  type Logger,
  type Probe,
  type ProbeOptions,
} from '../probes/types.js';
import { declaredOptionReader } from '../probes/options.js';
import { createProbeContext, freezeRecorder } from './context.js';
import { probeNamespace } from './runId.js';
import { runScheduled } from './schedule.js';
import type { PlanEntry } from './select.js';
import { computeVerdict, type ProbeEnding } from './verdict.js';

/** What the runner needs from the cluster: per-probe views, and cleanup at the end. */
export interface RunnerCluster {
  readonly runId: string;
  forProbe(view: ProbeViewOptions): Kube;
  cleanup(options?: Pick<CleanupOptions, 'onProgress'>): Promise<CleanupResult>;
  /** What may be left right now, unchecked, and the command that deletes it (for a forced exit). */
  pending?(): Promise<{ objects: LeftoverObject[]; command?: string }>;
}

/**
 * Filled in by runSuite: partial results of the run while it is still going, for a forced exit
 * (a second signal). Probes still running are errors "interrupted", those not started errors
 * "not run", and cleanup is reported as not finished, with what may be left.
 */
export interface RunHandle {
  snapshot?: (reason: string) => Promise<RunResults>;
}

export interface RunSuiteOptions {
  cluster: RunnerCluster;
  clusterInfo: ClusterInfo;
  kubernetesVersion: KubernetesVersion;
  plan: readonly PlanEntry[];
  profile: AcceleratorProfile;
  probeOptions: ProbeOptions;
  images: ImageCatalog;
  /** Most probes at once; default: all that do not conflict. */
  parallel?: number;
  /** Overrides every probe's own timeout. */
  timeoutMs?: number;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
  verbose?: boolean;
  heartbeatMs?: number;
  clock?: Clock;
  tool?: { name: string; version: string };
  runUrl?: string;
  /** Receives the means to take partial results (see RunHandle). */
  handle?: RunHandle;
}

export class ProbeTimeout extends Error {}

/** Longest a running probe stays silent before the runner says it is still running. */
const PROBE_SILENCE_MS = 20_000;

/** How long a finished probe waits for its namespace to go before the next holder may start. */
const VACATE_TIMEOUT_MS = 120_000;

type RunEntry = Extract<PlanEntry, { action: 'run' }>;

/**
 * Probes that need an exclusive resource run one after another; the one with the shortest
 * timeout goes first (shortest job first), so a probe that can only take long does not make
 * quick ones wait behind it. Probes without exclusive needs keep their places.
 */
function shortestExclusiveFirst(entries: RunEntry[]): RunEntry[] {
  const exclusive = (entry: RunEntry) => (entry.source.probe.exclusive ?? []).length > 0;
  const slots = entries.map((entry, index) => (exclusive(entry) ? index : -1)).filter((index) => index >= 0);
  const sorted = slots.map((index) => entries[index]).sort((a, b) => a.source.probe.timeoutMs - b.source.probe.timeoutMs);
  const result = [...entries];
  for (const [i, entry] of sorted.entries()) result[slots[i]] = entry;
  return result;
}

const systemClock: Clock = { now: () => Date.now() };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Resolves (never rejects) once the signal aborts. */
function whenAborted(signal: AbortSignal): Promise<ProbeEnding> {
  return new Promise((resolve) => {
    const settle = () => resolve({ kind: 'aborted', reason: oneLine(signal.reason ?? 'aborted') });
    if (signal.aborted) settle();
    else signal.addEventListener('abort', settle, { once: true });
  });
}

function endingOf(error: unknown): ProbeEnding {
  // A step the rest of the plan needed did not pass: its check is recorded and decides the verdict.
  if (error instanceof StepDidNotPass) return { kind: 'completed' };
  if (error instanceof ProbeConclusion) return { kind: 'concluded', verdict: error.verdict, reason: oneLine(error) };
  return { kind: 'threw', reason: oneLine(error) };
}

export async function runSuite(options: RunSuiteOptions): Promise<RunResults> {
  const clock = options.clock ?? systemClock;
  const write = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Progress lines carry cluster text (reasons, API errors) into CI logs.
  const progress = (line: string) => write(redactSecrets(line));
  const runSignal = options.signal ?? new AbortController().signal;
  setMaxListeners(0, runSignal); // each probe, and each vacating namespace, listens to it
  const startedAt = new Date();
  const runStart = clock.now();
  const results = new Map<string, RequirementResult>();

  const base = (entry: PlanEntry, at: Date): Omit<RequirementResult, 'verdict' | 'reason' | 'probe'> => ({
    id: entry.requirement.id,
    category: entry.requirement.category,
    level: entry.requirement.level,
    summary: entry.requirement.summary,
    startedAt: at.toISOString(),
    durationMs: 0,
    checks: [],
    observations: [],
    ...(entry.proposed ? { proposed: true } : {}),
  });

  for (const entry of options.plan) {
    if (entry.action === 'skip')
      results.set(entry.requirement.id, { ...base(entry, startedAt), verdict: 'skipped', reason: entry.reason, probe: 'none' });
    if (entry.action === 'manual') {
      results.set(entry.requirement.id, {
        ...base(entry, startedAt),
        verdict: 'manual',
        reason: entry.reason,
        notes: entry.reason,
        probe: 'none',
      });
    }
  }

  /** Probes under way: when each started, for partial results. */
  const running = new Map<string, { entry: PlanEntry; at: Date; t0: number }>();

  const runnable = shortestExclusiveFirst(
    options.plan.filter((entry): entry is Extract<PlanEntry, { action: 'run' }> => entry.action === 'run'),
  );
  const tasks = runnable.map((entry) => ({
    exclusive: entry.source.probe.exclusive,
    shares: entry.source.probe.shares,
    start: async () => {
      results.set(entry.requirement.id, await runOne(entry));
      if ((entry.source.probe.exclusive ?? []).length + (entry.source.probe.shares ?? []).length > 0) await vacate(entry.source.probe.id);
    },
  }));

  /**
   * A probe that used a guarded resource (accelerators) gives it back before the next holder
   * starts: its namespace and every pod in it are deleted now, not at the end of the run, so a
   * probe that was stopped mid-way does not leave pods holding devices another probe counts.
   */
  async function vacate(probeId: string): Promise<void> {
    if (runSignal.aborted) return; // the run's cleanup follows at once
    const namespace = probeNamespace(probeId, options.cluster.runId);
    const kube = options.cluster.forProbe({
      probeId,
      namespace,
      signal: runSignal,
      onHeartbeat: (line) => progress(`        ${line}`),
      heartbeatMs: options.heartbeatMs,
    });
    const ref = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
    try {
      await kube.delete(ref);
      await kube.waitForDeletion(ref, { description: `namespace ${namespace} gone`, timeoutMs: VACATE_TIMEOUT_MS });
    } catch (error) {
      progress(`        ${probeId}: warning: namespace ${namespace} not gone yet (${oneLine(error)}); the run's cleanup deletes it`);
    }
  }

  /** The Pod Security label a probe asks for with its options (a privileged load container), else none. */
  function namespaceLabels(probe: Probe): { labels?: Record<string, string> } {
    const option = declaredOptionReader(probe.id, probe.options ?? {}, options.probeOptions.extra);
    const level = probe.podSecurity?.({ option });
    return level ? { labels: { 'pod-security.kubernetes.io/enforce': level } } : {};
  }

  async function runOne(entry: Extract<PlanEntry, { action: 'run' }>): Promise<RequirementResult> {
    const { probe } = entry.source;
    const at = new Date();
    const t0 = clock.now();
    const finish = (
      ending: ProbeEnding,
      checks: RequirementResult['checks'] = [],
      observations: RequirementResult['observations'] = [],
      facts: NonNullable<RequirementResult['facts']> = [],
    ) => {
      const { verdict, reason } = computeVerdict(checks, ending);
      const durationMs = clock.now() - t0;
      progress(`[done]  ${probe.id}: ${verdict} in ${seconds(durationMs)} - ${reason}`);
      const notes = verdict === 'not-applicable' || verdict === 'manual' ? reason : undefined;
      return {
        ...base(entry, at),
        verdict,
        reason,
        probe: entry.source.origin,
        durationMs,
        checks,
        observations,
        ...(notes ? { notes } : {}),
        ...(facts.length > 0 ? { facts } : {}),
      };
    };
    if (runSignal.aborted) return finish({ kind: 'aborted', reason: `not started: ${oneLine(runSignal.reason ?? 'cancelled')}` });

    const timeoutMs = options.timeoutMs ?? probe.timeoutMs;
    const controller = new AbortController();
    // Every request, wait and back-off of the probe listens to it at once; none is left behind.
    setMaxListeners(0, controller.signal);
    const onRunAbort = () => controller.abort(runSignal.reason);
    runSignal.addEventListener('abort', onRunAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new ProbeTimeout(`timed out after ${seconds(timeoutMs)}`)), timeoutMs);
    const namespace = probeNamespace(probe.id, options.cluster.runId);
    // A probe is never silent for long: when neither it nor its waits said anything for a
    // heartbeat interval (a back-off, a poll, a request the server is slow to answer), say so.
    let lastLineAt = clock.now();
    const say = (line: string) => {
      lastLineAt = clock.now();
      progress(line);
    };
    const silenceMs = options.heartbeatMs ?? PROBE_SILENCE_MS;
    const ticker = setInterval(
      () => {
        if (clock.now() - lastLineAt < silenceMs) return;
        say(`        ${probe.id}: still running (${seconds(clock.now() - t0)} so far, timeout ${seconds(timeoutMs)})`);
      },
      Math.max(1, Math.round(silenceMs / 3)),
    );
    const log: Logger = {
      info: (message) => say(`        ${probe.id}: ${oneLine(message)}`),
      warn: (message) => say(`        ${probe.id}: warning: ${oneLine(message)}`),
      debug: (message) => {
        if (options.verbose) say(`        ${probe.id}: ${oneLine(message)}`);
      },
    };
    progress(`[start] ${probe.id} (${entry.requirement.level}, namespace ${namespace}, timeout ${seconds(timeoutMs)})`);
    running.set(entry.requirement.id, { entry, at, t0 });
    const kube = options.cluster.forProbe({
      probeId: probe.id,
      namespace,
      signal: controller.signal,
      onHeartbeat: (line) => say(`        ${line}`),
      heartbeatMs: options.heartbeatMs,
    });
    try {
      const aborted = whenAborted(controller.signal);
      const setUp = await Promise.race([
        kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, ...namespaceLabels(probe) } }).then(
          () => undefined,
          (error: unknown): ProbeEnding => ({ kind: 'threw', reason: `could not create namespace ${namespace}: ${oneLine(error)}` }),
        ),
        aborted,
      ]);
      if (setUp) return finish(setUp);
      const { context, recorder } = createProbeContext({
        kube,
        namespace,
        profile: options.profile,
        options: options.probeOptions,
        images: options.images,
        log,
        signal: controller.signal,
        clock,
        declared: probe.options ?? {},
        probeId: probe.id,
      });
      const ending = await Promise.race([
        Promise.resolve()
          .then(() => probe.run(context))
          .then((): ProbeEnding => ({ kind: 'completed' }), endingOf),
        aborted,
      ]);
      freezeRecorder(recorder, ending.kind === 'aborted' ? ending.reason : 'the probe ended before this check finished', clock.now());
      return finish(ending, recorder.checks, recorder.observations, recorder.facts);
    } finally {
      running.delete(entry.requirement.id);
      clearInterval(ticker);
      clearTimeout(timer);
      runSignal.removeEventListener('abort', onRunAbort);
      // Anything the probe still has in flight stops now.
      if (!controller.signal.aborted) controller.abort(new Error('probe finished'));
    }
  }

  const assemble = (requirements: RequirementResult[], leaked: number, cleanup: CleanupSummary, interrupted?: string): RunResults => ({
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: options.tool ?? { name: 'k8s-ai-conformance', version: '0.0.0' },
    runId: options.cluster.runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: clock.now() - runStart,
    kubernetesVersion: options.kubernetesVersion,
    cluster: options.clusterInfo,
    accelerator: { profile: options.profile.name, detected: options.profile.detected, detail: options.profile.detail },
    requirements,
    leaked,
    cleanup,
    ...(interrupted ? { interrupted } : {}),
    ...(options.runUrl ? { runUrl: options.runUrl } : {}),
  });

  if (options.handle) {
    options.handle.snapshot = async (reason) => {
      const requirements = options.plan.map((entry) => {
        const done = results.get(entry.requirement.id);
        if (done) return done;
        const under = running.get(entry.requirement.id);
        const at = under?.at ?? new Date();
        return {
          ...base(entry, at),
          verdict: 'error' as const,
          reason: under ? `interrupted while running: ${reason}` : `not run: ${reason}`,
          probe: entry.action === 'run' ? entry.source.origin : 'none',
          durationMs: under ? clock.now() - under.t0 : 0,
        };
      });
      const pending = (await options.cluster.pending?.().catch(() => undefined)) ?? { objects: [] };
      return assemble(
        requirements,
        pending.objects.length,
        { finished: false, leftovers: pending.objects, ...(pending.command ? { command: pending.command } : {}) },
        reason,
      );
    };
  }

  const limit = options.parallel ?? Math.max(1, tasks.length);
  await runScheduled(tasks, limit);

  progress(`[clean] deleting what run ${options.cluster.runId} created`);
  let leaked: number;
  let summary: CleanupSummary;
  try {
    const cleanup = await options.cluster.cleanup({ onProgress: (line) => progress(`[clean] ${line}`) });
    leaked = cleanup.leaked;
    for (const error of cleanup.errors) progress(`[clean] could not delete ${error}`);
    for (const leftover of cleanup.leftovers) progress(`[clean] still present: ${leftover}`);
    progress(`[clean] ${cleanup.deleted} deleted, ${cleanup.leaked} left`);
    if (cleanup.command) progress(`[clean] delete what is left with: ${cleanup.command}`);
    summary = { finished: true, leftovers: cleanup.objects, ...(cleanup.command ? { command: cleanup.command } : {}) };
  } catch (error) {
    // Could not even count: report at least one leak so the run is never called clean.
    progress(`[clean] cleanup failed: ${oneLine(error)}`);
    leaked = 1;
    summary = { finished: false, leftovers: [{ apiVersion: 'v1', kind: 'Namespace', note: `not verified: ${oneLine(error)}` }] };
  }

  const requirements = options.plan.map((entry) => {
    const result = results.get(entry.requirement.id);
    // Every entry was skipped, made manual or run above; a gap is a bug in this function.
    if (!result) throw new Error(`internal error: no result for ${entry.requirement.id}`);
    return result;
  });
  return assemble(requirements, leaked, summary);
}

export { planRequirements, type PlanEntry, type ProbeSource } from './select.js';
export { newRunId, probeNamespace } from './runId.js';
