// What a probe is and what it gets to work with. A probe file reads like the requirement's test
// plan: a sequence of `ctx.step(...)` / `ctx.check(...)` calls, each recording what it saw. The
// runner turns the recorded checks into the requirement's verdict (see src/runner/), so a probe
// never writes a verdict by hand and can never say "passed" without a check having passed.

import type { V1Toleration } from '@kubernetes/client-node';
import type { Kube } from '../kube/types.js';
import type { PlatformFact } from '../model/results.js';
import type { Category, KubernetesVersion, Level } from '../requirements/catalog.js';
import type { NoOptions, OptionSpecs, OptionValue } from './options.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Written only with --verbose. */
  debug(message: string): void;
}

export interface Clock {
  now(): number;
}

/** What "an accelerator" means on this cluster (DESIGN.md §5). */
export interface AcceleratorProfile {
  /** example | nvidia | nvidia-dra | custom */
  name: string;
  /** DRA: claims on a DeviceClass. extended-resource: a device plugin's resource name. */
  mechanism: 'dra' | 'extended-resource';
  /** For DRA profiles: the DeviceClass probes claim from, e.g. gpu.example.com. */
  deviceClassName?: string;
  /** For DRA profiles: the driver publishing ResourceSlices, e.g. gpu.example.com. */
  driver?: string;
  /** For extended-resource profiles: the resource name, e.g. nvidia.com/gpu. */
  resourceName?: string;
  /** Tolerations accelerator nodes usually need (e.g. nvidia.com/gpu:NoSchedule). */
  tolerations: V1Toleration[];
  /**
   * Shell script (run with `sh -c`) for a probe container that prints exactly one line
   * `AI_CONFORMANCE_RESULT {"devices":[...]}` listing the accelerators the container can see.
   */
  deviceListScript: string;
  /** True when detected from the cluster rather than given with --accelerator. */
  detected: boolean;
  /** False when detection found no accelerator at all: probes that need one fail at once. */
  available?: false;
  /**
   * Set when detection itself failed (e.g. RBAC denied): the profile is unknown, and every probe
   * that reads it ends `error` with this reason rather than testing a guessed accelerator.
   */
  undetermined?: string;
  /** How it was chosen, for the report: "DeviceClass gpu.example.com found". */
  detail: string;
  /**
   * The other mechanisms detection found beside this one (e.g. a device-plugin resource on a
   * cluster whose preferred profile is a DRA DeviceClass), for probes that test each one.
   */
  alternatives?: AcceleratorProfile[];
}

export type { PlatformFact } from '../model/results.js';

/** The kinds of accelerator profile `list` tells apart: the named profiles, and any other (`custom`). */
export type ProfileKind = 'example' | 'nvidia' | 'nvidia-dra' | 'custom';

/** Images the probes run; every one can be overridden for air-gapped clusters. */
export interface ImageCatalog {
  /** Logical name -> image reference actually used. */
  resolve(name: string): string;
}

export interface ProbeOptions {
  kubernetesVersion: KubernetesVersion;
  /** cluster_autoscaling may add nodes only with --allow-node-scaling (it costs money). */
  allowNodeScaling: boolean;
  /** --prometheus-url: a Prometheus HTTP API base URL, used instead of detection. */
  prometheusUrl?: string;
  /** --accelerator-metrics-url: a metrics endpoint, used instead of detection. */
  acceleratorMetricsUrl?: string;
  /** --operator: which AI operator robust_controller checks (else detected). */
  operator?: string;
  /**
   * The --probe-option KEY=VALUE strings as given (checked against the declarations before the
   * run); probes read them typed with `ctx.option(name)`.
   */
  extra: Readonly<Record<string, string>>;
}

/** Thrown (via ctx helpers) to end a probe with a verdict that is not computed from checks. */
export class ProbeConclusion extends Error {
  constructor(
    readonly verdict: 'not-applicable' | 'manual' | 'failed',
    reason: string,
  ) {
    super(reason);
  }
}

/** Thrown inside a check to mark it failed (the requirement is not met); any other error marks it `error`. */
export class CheckFailure extends Error {}

/**
 * Thrown inside a check that cannot be carried out on this cluster (e.g. simulated accelerators):
 * the check reads "not checked: MESSAGE" and is never a pass.
 */
export class NotChecked extends Error {}

/**
 * Thrown by `ctx.step` when the step did not pass: the rest of the plan depends on it, so the
 * probe ends there and its verdict is computed from the checks recorded so far.
 */
export class StepDidNotPass extends Error {
  constructor(readonly step: string) {
    super(`step '${step}' did not pass; the probe stops here`);
  }
}

/** What a step saw (one line for the report) and the value the rest of the plan goes on with. */
export interface Saw<T> {
  seen: string;
  value: T;
}

/**
 * What a probe gets. `O` is the probe's option declarations, so `ctx.option` knows their names
 * and types; helpers that read no option take the plain `ProbeContext`.
 */
export interface ProbeContext<O extends OptionSpecs = NoOptions> {
  readonly kube: Kube;
  /** A namespace created for this probe alone, labelled with the run id, deleted afterwards. */
  readonly namespace: string;
  readonly profile: AcceleratorProfile;
  readonly options: ProbeOptions;
  readonly images: ImageCatalog;
  readonly log: Logger;
  /** Aborted on the probe's timeout, SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  readonly clock: Clock;

  /**
   * Runs one step of the test plan that later steps depend on, and records it. The step returns
   * what it saw (a line, or `{ seen, value }`); it throws CheckFailure when the requirement is not
   * met, anything else when it could not tell. Returns the step's value when it passed; when it
   * did not, the probe ends there (StepDidNotPass, which the runner expects).
   */
  step(name: string, step: () => Promise<string>): Promise<void>;
  step<T>(name: string, step: () => Promise<Saw<T>>): Promise<T>;
  /**
   * Runs and records one check that no later step depends on: the plan goes on whatever its
   * result. Returns true when it passed.
   */
  check(name: string, step: () => Promise<string>): Promise<boolean>;
  /**
   * The typed value of one of the probe's declared --probe-option keys: as given, else its
   * default. Throws for a name the probe did not declare.
   */
  option<K extends keyof O & string>(name: K): OptionValue<O[K]>;
  /** Records something seen that is worth showing a reviewer. */
  observe(message: string): void;
  /**
   * Records a platform fact: a component the probe found and the version the cluster states for
   * it (an image tag, a version label or annotation; no version when none was found, never a
   * guess). Facts go into the evidence documents and the submission README; they never change a
   * verdict. The same fact reported twice is kept once. Helpers in ./lib/platform-facts.ts read
   * the usual places.
   */
  fact(fact: PlatformFact): void;
  /** Ends the probe: the requirement does not apply here (reason becomes the checklist note). */
  notApplicable(reason: string): never;
  /** Ends the probe: a human must attest this (reason says exactly what to run or check). */
  manual(reason: string): never;
}

export interface Probe<O extends OptionSpecs = OptionSpecs> {
  /** The requirement id this probe serves. */
  id: string;
  /** Kubernetes versions the probe supports; default: every version listing the requirement. */
  versions?: readonly KubernetesVersion[];
  /**
   * Resources the probe needs to itself (e.g. "accelerators" when it claims every device of a
   * pool); probes sharing a name never run at the same time.
   */
  exclusive?: readonly string[];
  /**
   * Resources the probe uses alongside other probes that share them, but never while a probe
   * holds them exclusively (e.g. "accelerators": a few devices, while cluster_autoscaling needs
   * every device of the pool).
   */
  shares?: readonly string[];
  /** Default timeout; --timeout overrides. */
  timeoutMs: number;
  /**
   * The --probe-option keys this probe reads, each with its type, default and description
   * (builders in ./options.ts); `run` rejects any other key and any value that does not parse.
   */
  options?: O;
  /** Logical image names this probe uses, with their defaults (for `list --images`). */
  images?: Readonly<Record<string, string>>;
  /**
   * The Pod Security level the probe's namespace must admit, given its options (e.g. a load
   * container that asks for a capability); the runner labels the namespace
   * `pod-security.kubernetes.io/enforce` with it. Absent or undefined: the cluster's default.
   */
  podSecurity?(ctx: Pick<ProbeContext<O>, 'option'>): PodSecurityLevel | undefined;
  /**
   * For a --probe-dir probe of a requirement the catalog does not have yet (a proposal): where
   * it would sit. Ignored for catalog ids.
   */
  proposal?: { category: Category; level: Level; summary: string };
  /**
   * What the probe can check with each kind of accelerator profile, in a few words, for `list`
   * (e.g. gpu_sharing: `example` a shared ResourceClaim, `nvidia` MIG or time-slicing replicas).
   * Absent: the probe checks the same whatever the profile.
   */
  byProfile?: Readonly<Partial<Record<ProfileKind, string>>>;
  /** The probe's test plan; first in its file, helpers below it. */
  run(ctx: ProbeContext<O>): Promise<void>;
}

/** A Pod Security Standard a namespace can enforce. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** Declares a probe; infers its option declarations so `ctx.option` is typed by them. */
export function defineProbe<O extends OptionSpecs = NoOptions>(probe: Probe<O>): Probe<O> {
  return probe;
}
