// Scenario files: YAML describing a cluster (see fixtures/scenarios/README.md for every field).
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KObj } from './types.js';
import { isRecord } from './types.js';

export interface NodeSpec {
  name: string;
  /** control-plane nodes get the control-plane label and NoSchedule taint. */
  role?: 'control-plane' | 'worker';
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  /** Added to the default capacity (cpu 8, memory 32Gi, pods 110, ephemeral-storage 100Gi). */
  allocatable?: Record<string, string>;
  /** Ready (default true). */
  ready?: boolean;
  unschedulable?: boolean;
}

export interface Fault {
  /** get|list|watch|create|update|patch|delete|deletecollection or `*` (default). */
  verb?: string;
  /** Resource key (pods, jobs.batch) or `*` (default). Subresources as pods/log. */
  resource?: string;
  namespace?: string;
  latencyMs?: number;
  /** 0..1: share of matching requests answered with `status` (default 500). */
  errorRate?: number;
  status?: number;
  message?: string;
  /** Retry-After (header and Status details) of injected errors; default 1 for 429, none otherwise. */
  retryAfterSeconds?: number;
  /** 0..1: share of matching requests whose connection is reset before they are handled. */
  resetRate?: number;
  /** 0..1: share of matching requests that are handled (a create lands) but whose answer is lost to a reset. Not for watches. */
  lostAnswerRate?: number;
  /** Watches matching the fault are closed after this many ms. */
  dropWatchAfterMs?: number;
  /** The fault is active only for this long after the first request it matches (e.g. deletes failing for the first 20 s). */
  forFirstMs?: number;
}

export interface RbacRule {
  verbs?: string[];
  /** Resource keys (pods, deployments.apps, pods/log) or `*`. */
  resources?: string[];
  namespaces?: string[];
}

export interface GenerateSpec {
  nodes?: {
    count: number;
    namePrefix?: string;
    labels?: Record<string, string>;
    allocatable?: Record<string, string>;
    taints?: NodeSpec['taints'];
  };
  pods?: {
    count: number;
    namespaces?: number;
    namePrefix?: string;
    namespacePrefix?: string;
    labels?: Record<string, string>;
    image?: string;
    phase?: string;
  };
}

export type BehaviourParams = Record<string, unknown>;

export interface ModelledRelease {
  project: string;
  version: string;
}

export interface Scenario {
  name: string;
  description?: string;
  kubernetesVersion: string;
  include?: string[];
  nodes?: NodeSpec[];
  objects?: KObj[];
  generate?: GenerateSpec;
  /** name -> parameters; `false` switches a default behaviour off. */
  behaviours?: Record<string, BehaviourParams | boolean>;
  faults?: Fault[];
  rbac?: { user?: string; deny?: RbacRule[] };
  discovery?: { disable?: string[] };
  watch?: { bookmarkIntervalMs?: number; historySize?: number };
  /** Seed for fault randomness (default 1). */
  seed?: number;
  /** Controllers on their upstream default times (clock.ts). */
  clock?: { realistic: boolean; scale?: number };
  /** The upstream releases this scenario (with its includes) models, e.g. kubeflow/trainer v2.3.0. */
  models?: ModelledRelease[];
  /** The file it was read from, when read from a file. */
  source?: string;
}

/** Behaviours that a real cluster always has; scenarios switch them off with `name: false`. */
export const DEFAULT_BEHAVIOURS = ['namespace', 'garbage-collector', 'crd', 'scheduler', 'kubelet', 'resourceclaim', 'job', 'deployment'];

function fail(file: string, message: string): never {
  throw new Error(`scenario ${file}: ${message}`);
}

/**
 * Parsed files by path and modification time: the add-on files derived from upstream releases
 * hold megabytes of CRD schemas, and many tests start the same scenario.
 */
const parsed = new Map<string, { mtimeMs: number; value: Record<string, unknown> }>();

function parseYamlFile(file: string): Record<string, unknown> {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    fail(file, 'cannot be read');
  }
  const cached = parsed.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return structuredClone(cached.value);
  const value = parseYamlText(file, readFileSync(file, 'utf8'));
  parsed.set(file, { mtimeMs, value });
  return structuredClone(value);
}

function parseYamlText(file: string, text: string): Record<string, unknown> {
  const docs = parseAllDocuments(text);
  const first = Array.isArray(docs) ? docs.at(0) : docs;
  if (!first || first.errors.length > 0) fail(file, `is not valid YAML: ${first?.errors[0]?.message.split('\n')[0] ?? 'empty'}`);
  const value: unknown = first.toJS();
  if (!isRecord(value)) fail(file, 'must be a mapping');
  return value;
}

function mergeBehaviours(base: Scenario['behaviours'], extra: unknown): Scenario['behaviours'] {
  const out: Record<string, BehaviourParams | boolean> = { ...(base ?? {}) };
  if (!isRecord(extra)) return out;
  for (const [name, params] of Object.entries(extra)) {
    const prev = out[name];
    if (isRecord(prev) && isRecord(params)) out[name] = { ...prev, ...params };
    else out[name] = typeof params === 'boolean' ? params : isRecord(params) ? params : {};
  }
  return out;
}

function objectsOf(file: string, value: unknown): KObj[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(file, '`objects` must be a list of manifests');
  return value.map((o, i) => {
    if (!isRecord(o) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !isRecord(o.metadata)) {
      fail(file, `objects[${i}] needs apiVersion, kind and metadata`);
    }
    return o as unknown as KObj;
  });
}

/** Reads a scenario file with its includes resolved (objects appended, behaviours merged). */
export function loadScenarioFile(path: string, seen: string[] = []): Scenario {
  const file = resolve(path);
  if (seen.includes(file)) fail(file, `includes itself (${[...seen, file].join(' -> ')})`);
  const raw = parseYamlFile(file);
  const isAddon = seen.length > 0;
  if (!isAddon && typeof raw.name !== 'string') fail(file, '`name` is required');
  if (!isAddon && typeof raw.kubernetesVersion !== 'string') fail(file, '`kubernetesVersion` is required (a string such as "1.35")');
  const scenario: Scenario = {
    name: typeof raw.name === 'string' ? raw.name : '',
    description: typeof raw.description === 'string' ? raw.description : undefined,
    kubernetesVersion: typeof raw.kubernetesVersion === 'string' ? raw.kubernetesVersion : '',
    nodes: [],
    objects: [],
    behaviours: {},
    faults: [],
    source: file,
  };
  if (
    raw.models !== undefined &&
    !(Array.isArray(raw.models) && raw.models.every((m) => isRecord(m) && typeof m.project === 'string' && typeof m.version === 'string'))
  ) {
    fail(file, '`models` must be a list of {project, version}');
  }
  const include = raw.include === undefined ? [] : raw.include;
  if (!Array.isArray(include)) fail(file, '`include` must be a list of relative paths');
  for (const inc of include) {
    if (typeof inc !== 'string') fail(file, '`include` entries must be strings');
    const part = loadScenarioFile(resolve(dirname(file), inc), [...seen, file]);
    mergeInto(scenario, part);
  }
  mergeInto(scenario, {
    ...(raw as unknown as Partial<Scenario>),
    objects: objectsOf(file, raw.objects),
    nodes: Array.isArray(raw.nodes) ? (raw.nodes as NodeSpec[]) : [],
  });
  scenario.include = include as string[];
  return scenario;
}

function mergeInto(target: Scenario, part: Partial<Scenario>): void {
  target.nodes = [...(target.nodes ?? []), ...(part.nodes ?? [])];
  target.objects = [...(target.objects ?? []), ...(part.objects ?? [])];
  target.behaviours = mergeBehaviours(target.behaviours, part.behaviours);
  target.faults = [...(target.faults ?? []), ...(part.faults ?? [])];
  if (part.rbac)
    target.rbac = { user: part.rbac.user ?? target.rbac?.user, deny: [...(target.rbac?.deny ?? []), ...(part.rbac.deny ?? [])] };
  if (part.discovery) target.discovery = { disable: [...(target.discovery?.disable ?? []), ...(part.discovery.disable ?? [])] };
  if (part.watch) target.watch = { ...target.watch, ...part.watch };
  if (part.generate) target.generate = { ...target.generate, ...part.generate };
  if (part.seed !== undefined) target.seed = part.seed;
  if (part.clock) target.clock = part.clock;
  if (part.models) target.models = [...(target.models ?? []), ...part.models];
}

/** A scenario given in code gets the same include resolution, relative to fixtures/scenarios/. */
export function normaliseScenario(input: string | Scenario, scenariosDir: string): Scenario {
  if (typeof input === 'string') {
    const path = input.includes('/') || input.endsWith('.yaml') ? input : resolve(scenariosDir, `${input}.yaml`);
    return loadScenarioFile(path);
  }
  const out: Scenario = { ...input, nodes: [], objects: [], behaviours: {}, faults: [] };
  for (const inc of input.include ?? []) mergeInto(out, loadScenarioFile(resolve(scenariosDir, inc), ['<inline>']));
  mergeInto(out, { ...input });
  return out;
}

/** Whether a behaviour runs, and with which parameters. */
export function behaviourParams(scenario: Scenario, name: string): BehaviourParams | undefined {
  const value = scenario.behaviours?.[name];
  if (value === false) return undefined;
  if (value === undefined || value === true) return DEFAULT_BEHAVIOURS.includes(name) || value === true ? {} : undefined;
  return value;
}
