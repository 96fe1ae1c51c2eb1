import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  AcceleratorInfo,
  CheckResult,
  CleanupSummary,
  ClusterInfo,
  LeftoverObject,
  Observation,
  PlatformFact,
  RequirementResult,
  RunResults,
} from '../../src/model/results.js';
import { RESULTS_SCHEMA_VERSION, VERDICTS } from '../../src/model/results.js';
import { CATEGORIES, KUBERNETES_VERSIONS } from '../../src/requirements/catalog.js';
import { resultsProblem } from '../../src/report/results-file.js';
import { SAMPLE_NAMES, sample } from './samples.js';

interface ObjectSchema {
  properties: Record<string, { enum?: unknown[]; const?: unknown; $ref?: string }>;
  required: string[];
}
const schema = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../schema/results.schema.json'), 'utf8')) as ObjectSchema & {
  definitions: Record<string, ObjectSchema & { enum?: unknown[] }>;
};

// Every key of each model type, checked by the compiler: a field added to or removed from
// src/model/results.ts breaks these `satisfies` until the list (and so the schema test) follows.
type Keys<T> = { [K in keyof Required<T>]: undefined extends T[K] ? 'optional' : 'required' };
const RUN = {
  schemaVersion: 'required',
  tool: 'required',
  runId: 'required',
  startedAt: 'required',
  finishedAt: 'required',
  durationMs: 'required',
  kubernetesVersion: 'required',
  cluster: 'required',
  accelerator: 'optional',
  requirements: 'required',
  leaked: 'required',
  cleanup: 'optional',
  interrupted: 'optional',
  runUrl: 'optional',
} as const satisfies Keys<RunResults>;
const CLEANUP = { finished: 'required', leftovers: 'required', command: 'optional' } as const satisfies Keys<CleanupSummary>;
const LEFTOVER = {
  apiVersion: 'required',
  kind: 'required',
  namespace: 'optional',
  name: 'optional',
  note: 'optional',
} as const satisfies Keys<LeftoverObject>;
const REQUIREMENT = {
  id: 'required',
  category: 'required',
  level: 'required',
  summary: 'required',
  verdict: 'required',
  reason: 'required',
  probe: 'required',
  startedAt: 'required',
  durationMs: 'required',
  checks: 'required',
  observations: 'required',
  notes: 'optional',
  proposed: 'optional',
  created: 'optional',
  facts: 'optional',
} as const satisfies Keys<RequirementResult>;
const FACT = { component: 'required', version: 'optional', source: 'required', detail: 'optional' } as const satisfies Keys<PlatformFact>;
const CHECK = { name: 'required', verdict: 'required', reason: 'required', durationMs: 'required' } as const satisfies Keys<CheckResult>;
const OBSERVATION = { atMs: 'required', message: 'required' } as const satisfies Keys<Observation>;
const CLUSTER = {
  mode: 'required',
  context: 'optional',
  serverVersion: 'optional',
  simulated: 'required',
  simulatedBecause: 'optional',
} as const satisfies Keys<ClusterInfo>;
const ACCELERATOR = { profile: 'required', detected: 'required', detail: 'required' } as const satisfies Keys<AcceleratorInfo>;

function expectSameShape(objectSchema: ObjectSchema, keys: Record<string, 'required' | 'optional'>): void {
  expect(Object.keys(objectSchema.properties).sort()).toEqual(Object.keys(keys).sort());
  expect([...objectSchema.required].sort()).toEqual(
    Object.keys(keys)
      .filter((k) => keys[k] === 'required')
      .sort(),
  );
}

describe('schema/results.schema.json', () => {
  it('has the same fields as the TypeScript model', () => {
    expectSameShape(schema, RUN);
    expectSameShape(schema.definitions.requirement, REQUIREMENT);
    expectSameShape(schema.definitions.check, CHECK);
    expectSameShape(schema.definitions.observation, OBSERVATION);
    expectSameShape(schema.definitions.cluster, CLUSTER);
    expectSameShape(schema.definitions.accelerator, ACCELERATOR);
    expectSameShape(schema.definitions.cleanup, CLEANUP);
    expectSameShape(schema.definitions.leftover, LEFTOVER);
    expectSameShape(schema.definitions.platformFact, FACT);
  });

  it('accepts platform facts with and without a version', () => {
    const results = sample('all-pass-1.35');
    results.requirements[0].facts = [
      { component: 'Kueue', version: 'v0.19.2', source: 'image tag of Deployment kueue-system/kueue-controller-manager' },
      { component: 'Volcano', source: 'no controller Deployment found', detail: 'scheduling.volcano.sh/v1beta1' },
    ];
    expect(resultsProblem(results)).toBeUndefined();
  });

  it('has the same enums as the model and the catalog', () => {
    expect(schema.definitions.verdict.enum).toEqual([...VERDICTS]);
    expect(schema.definitions.category.enum).toEqual([...CATEGORIES]);
    expect(schema.properties.kubernetesVersion.enum).toEqual([...KUBERNETES_VERSIONS]);
    expect(schema.properties.schemaVersion.const).toBe(RESULTS_SCHEMA_VERSION);
  });

  it.each(SAMPLE_NAMES)('accepts the sample %s', (name) => {
    expect(resultsProblem(sample(name))).toBeUndefined();
  });

  it.each([
    [
      'a bad verdict',
      (r: RunResults) => {
        (r.requirements[2] as { verdict: string }).verdict = 'green';
      },
      /^\/requirements\/2\/verdict must be equal to one of the allowed values \(passed, failed/,
    ],
    [
      'a missing field',
      (r: RunResults) => {
        delete (r as Partial<RunResults>).runId;
      },
      /^\(top level\): missing required field 'runId'$/,
    ],
    [
      'an unknown field',
      (r: RunResults) => {
        (r.cluster as unknown as Record<string, unknown>).token = 'x';
      },
      /^\/cluster: unknown field 'token'$/,
    ],
    [
      'a wrong type',
      (r: RunResults) => {
        (r as unknown as Record<string, unknown>).leaked = '0';
      },
      /^\/leaked must be integer$/,
    ],
    [
      'a negative duration',
      (r: RunResults) => {
        r.requirements[0].checks[0].durationMs = -1;
      },
      /^\/requirements\/0\/checks\/0\/durationMs must be >= 0$/,
    ],
    [
      'a bad date',
      (r: RunResults) => {
        r.startedAt = 'yesterday';
      },
      /^\/startedAt must match format "date-time"$/,
    ],
    [
      'an unsupported version',
      (r: RunResults) => {
        (r as { kubernetesVersion: string }).kubernetesVersion = '1.20';
      },
      /^\/kubernetesVersion must be equal to one of the allowed values/,
    ],
    [
      'a platform fact without a source',
      (r: RunResults) => {
        r.requirements[1].facts = [{ component: 'Kueue', version: 'v0.19.2' } as PlatformFact];
      },
      /^\/requirements\/1\/facts\/0: missing required field 'source'$/,
    ],
    [
      'a platform fact with an empty version (absent means not found)',
      (r: RunResults) => {
        r.requirements[1].facts = [{ component: 'Kueue', version: '', source: 'label' }];
      },
      /^\/requirements\/1\/facts\/0\/version must NOT have fewer than 1 characters$/,
    ],
    [
      'a newer schema version',
      (r: RunResults) => {
        (r as { schemaVersion: number }).schemaVersion = 2;
      },
      /^\/schemaVersion must be equal to constant$/,
    ],
  ])('rejects %s and names the first bad field', (_, mutate, expected) => {
    const results = sample('all-pass-1.35');
    mutate(results);
    expect(resultsProblem(results)).toMatch(expected);
  });

  it('rejects values that are not objects', () => {
    expect(resultsProblem([])).toMatch(/^\(top level\) must be object$/);
    expect(resultsProblem(null)).toMatch(/must be object/);
  });
});
