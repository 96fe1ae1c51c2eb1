// The ProbeContext a probe runs with: `step` and `check` record each step of the test plan
// (`step` hands its value on, or ends the probe when it did not pass), `option` reads the probe's
// declared --probe-option values typed, `observe` records what a reviewer should see, `fact`
// the platform's components and their versions, and
// `notApplicable`/`manual` end the probe with that verdict.

import type { CheckResult, Observation, PlatformFact } from '../model/results.js';
import { oneLine } from '../errors.js';
import type { Kube } from '../kube/types.js';
import { declaredOptionReader, type OptionSpecs } from '../probes/options.js';
import {
  CheckFailure,
  NotChecked,
  ProbeConclusion,
  StepDidNotPass,
  type AcceleratorProfile,
  type Clock,
  type ImageCatalog,
  type Logger,
  type ProbeContext,
  type ProbeOptions,
  type Saw,
} from '../probes/types.js';

export interface ProbeRecorder {
  readonly checks: CheckResult[];
  readonly observations: Observation[];
  readonly facts: PlatformFact[];
  /** Checks still running, by name and start time; recorded as errors if the probe is aborted. */
  readonly inFlight: Map<number, { name: string; startedAt: number }>;
  /** Once frozen (the probe ended or was aborted) late results are ignored. */
  frozen: boolean;
}

export interface ContextParts {
  kube: Kube;
  namespace: string;
  profile: AcceleratorProfile;
  options: ProbeOptions;
  images: ImageCatalog;
  log: Logger;
  signal: AbortSignal;
  clock: Clock;
  /** The probe's own option declarations: `option` reads these and no others. */
  declared: OptionSpecs;
  /** The probe id, for the error an undeclared option name raises. */
  probeId: string;
}

export function createProbeContext(parts: ContextParts): { context: ProbeContext<OptionSpecs>; recorder: ProbeRecorder } {
  const started = parts.clock.now();
  const recorder: ProbeRecorder = { checks: [], observations: [], facts: [], inFlight: new Map(), frozen: false };
  let nextCheck = 0;

  const abortReason = () => oneLine(parts.signal.reason ?? 'aborted');

  /** Runs one step and records it; the outcome says whether it passed and what it produced. */
  async function record<T>(
    name: string,
    step: () => Promise<string | Saw<T>>,
  ): Promise<{ passed: true; value: T | undefined } | { passed: false }> {
    const id = nextCheck++;
    const checkStart = parts.clock.now();
    recorder.inFlight.set(id, { name, startedAt: checkStart });
    let result: CheckResult;
    let value: T | undefined;
    try {
      if (parts.signal.aborted) throw parts.signal.reason;
      const saw = await step();
      const seen = typeof saw === 'string' ? saw : saw.seen;
      if (typeof saw !== 'string') value = saw.value;
      result = { name, verdict: 'passed', reason: oneLine(seen), durationMs: parts.clock.now() - checkStart };
    } catch (error) {
      if (error instanceof ProbeConclusion) {
        recorder.inFlight.delete(id);
        throw error;
      }
      const aborted = parts.signal.aborted;
      const verdict = aborted ? 'error' : error instanceof CheckFailure ? 'failed' : error instanceof NotChecked ? 'skipped' : 'error';
      const reason = aborted ? abortReason() : verdict === 'skipped' ? `not checked: ${oneLine(error)}` : oneLine(error);
      result = { name, verdict, reason, durationMs: parts.clock.now() - checkStart };
    }
    recorder.inFlight.delete(id);
    if (!recorder.frozen) {
      recorder.checks.push(result);
      const line = `${name}: ${result.verdict}${result.verdict === 'passed' ? '' : ` (${result.reason})`}`;
      if (result.verdict === 'passed') parts.log.debug(line);
      else parts.log.info(line);
    }
    return result.verdict === 'passed' ? { passed: true, value } : { passed: false };
  }

  async function step<T>(name: string, fn: () => Promise<string | Saw<T>>): Promise<T | undefined> {
    const outcome = await record(name, fn);
    if (!outcome.passed) throw new StepDidNotPass(name);
    return outcome.value;
  }

  const { declared, probeId, profile, ...shared } = parts;
  const context: ProbeContext<OptionSpecs> = {
    ...shared,
    // A probe that needs the accelerator profile cannot run when detection failed: reading it throws, so the probe ends `error` with why.
    get profile(): AcceleratorProfile {
      if (profile.undetermined !== undefined) throw new Error(profile.undetermined);
      return profile;
    },
    step: step,
    async check(name: string, fn: () => Promise<string>): Promise<boolean> {
      return (await record(name, fn)).passed;
    },
    option: declaredOptionReader(probeId, declared, parts.options.extra),
    observe(message: string): void {
      if (recorder.frozen) return;
      recorder.observations.push({ atMs: parts.clock.now() - started, message: oneLine(message) });
      parts.log.debug(message);
    },
    fact(fact: PlatformFact): void {
      if (recorder.frozen) return;
      const recorded = factLine(fact);
      if (!recorded) return;
      const same = (other: PlatformFact) =>
        other.component === recorded.component &&
        other.version === recorded.version &&
        other.source === recorded.source &&
        other.detail === recorded.detail;
      if (recorder.facts.some(same)) return;
      recorder.facts.push(recorded);
      parts.log.debug(`platform: ${recorded.component} ${recorded.version ?? 'version not found'} (${recorded.source})`);
    },
    notApplicable(reason: string): never {
      throw new ProbeConclusion('not-applicable', reason);
    },
    manual(reason: string): never {
      throw new ProbeConclusion('manual', reason);
    },
  };
  return { context, recorder };
}

/** Longest field kept: a fact is one line in a table, not a dump of what the cluster said. */
const FACT_FIELD_MAX = 300;

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > FACT_FIELD_MAX ? `${line.slice(0, FACT_FIELD_MAX - 1)}…` : line;
}

/** The fact as recorded: each field on one line (line breaks become spaces), an empty version dropped (it means "not found"); undefined without a component or a source. */
function factLine(fact: PlatformFact): PlatformFact | undefined {
  const component = clip(fact.component);
  const source = clip(fact.source);
  if (component === '' || source === '') return undefined;
  const version = fact.version === undefined ? '' : clip(fact.version);
  const detail = fact.detail === undefined ? '' : clip(fact.detail);
  return { component, ...(version ? { version } : {}), source, ...(detail ? { detail } : {}) };
}

/** Freezes the recorder; checks still running become errors with the abort reason. */
export function freezeRecorder(recorder: ProbeRecorder, reason: string, now: number): void {
  if (recorder.frozen) return;
  for (const check of recorder.inFlight.values()) {
    recorder.checks.push({ name: check.name, verdict: 'error', reason, durationMs: now - check.startedAt });
  }
  recorder.inFlight.clear();
  recorder.frozen = true;
}
