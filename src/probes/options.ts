// The --probe-option keys a probe reads, declared once on the probe with a typed builder:
//   options: { 'gang-scheduling.window-ms': duration(30_000, 'how long ...') }
// The declaration is what `ctx.option(name)` parses, what `run` checks every given key and value
// against before it connects, what `list` prints and what the README's option table is tested
// against. A key no probe declares is a typo; a value that does not parse is a usage error.

import { UsageError } from '../errors.js';

export type OptionType = 'duration' | 'count' | 'seconds' | 'text' | 'url' | 'choice' | 'boolean';

export interface OptionSpec<T> {
  readonly type: OptionType;
  /** What a user reads in `list` and the README. */
  readonly description: string;
  /** The value used when the key is not given. */
  readonly default: T;
  /** The expected form, for a usage error: "a positive number of milliseconds". */
  readonly expects: string;
  /** The value of a given string, or undefined when it is not of the expected form. */
  parse(raw: string): T | undefined;
  /** The default as a user would write it ("30000", "torch-distributed", "none"). */
  readonly shownDefault: string;
}

/** A probe's declarations, by the key users write (`gang-scheduling.window-ms`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;

/** A probe that reads no option: `ctx.option` accepts no name. */
// eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- the empty type is meant: there is no key to name
export type NoOptions = Readonly<Record<never, never>>;

/** The value type a declaration yields. */
export type OptionValue<S> = S extends OptionSpec<infer T> ? T : never;

const WHOLE = /^\d+$/;

/** A wait's budget in milliseconds (keys end in `-ms`). */
export function duration(defaultMs: number, description: string): OptionSpec<number> {
  return {
    type: 'duration',
    description,
    default: defaultMs,
    expects: 'a positive number of milliseconds',
    shownDefault: String(defaultMs),
    parse: (raw) => {
      const value = Number(raw.trim());
      return raw.trim() !== '' && Number.isFinite(value) && value > 0 ? value : undefined;
    },
  };
}

/** A whole number of things, at least `min` (default 1). */
export function count(defaultCount: number, description: string, min = 1): OptionSpec<number> {
  return {
    type: 'count',
    description,
    default: defaultCount,
    expects: `a whole number of at least ${min}`,
    shownDefault: String(defaultCount),
    parse: (raw) => (WHOLE.test(raw.trim()) && Number(raw) >= min ? Number(raw) : undefined),
  };
}

/** A whole number of seconds from 0 to `max`, for settings the probe writes into an object. */
export function seconds(defaultSeconds: number, description: string, max: number): OptionSpec<number> {
  return {
    type: 'seconds',
    description,
    default: defaultSeconds,
    expects: `a whole number of seconds from 0 to ${max}`,
    shownDefault: String(defaultSeconds),
    parse: (raw) => (WHOLE.test(raw.trim()) && Number(raw) <= max ? Number(raw) : undefined),
  };
}

/** A name, e.g. of an object the probe should use. Without a default the probe chooses. */
export function text(description: string): OptionSpec<string | undefined>;
export function text(description: string, defaultText: string): OptionSpec<string>;
export function text(description: string, defaultText?: string): OptionSpec<string | undefined> {
  return {
    type: 'text',
    description,
    default: defaultText,
    expects: 'a non-empty text',
    shownDefault: defaultText ?? 'none',
    parse: (raw) => (raw.trim() === '' ? undefined : raw.trim()),
  };
}

/** A URL or URI with a scheme (https://…, gs://…). */
export function url(description: string, defaultUrl: string): OptionSpec<string> {
  return {
    type: 'url',
    description,
    default: defaultUrl,
    expects: 'a URL with a scheme, e.g. https://host/path or gs://bucket/path',
    shownDefault: defaultUrl,
    parse: (raw) => {
      const trimmed = raw.trim();
      return /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(trimmed) && URL.canParse(trimmed) ? trimmed : undefined;
    },
  };
}

/** What carries option declarations: a probe (structurally, so this module needs no probe types). */
export interface DeclaresOptions {
  readonly id: string;
  readonly options?: OptionSpecs;
}

/** The typed value of a declared option: the given string parsed, else the default. */
export function optionValue<S extends OptionSpec<unknown>>(spec: S, key: string, given: string | undefined): OptionValue<S> {
  if (given === undefined) return spec.default as OptionValue<S>;
  const value = spec.parse(given);
  // `run` checks every value before connecting; this is reached only by callers that did not.
  if (value === undefined) throw new UsageError(`--probe-option ${key}=${given} is not ${spec.expects}`);
  return value as OptionValue<S>;
}

/**
 * Reads a probe's declared options by name, typed by their declarations; an option the probe did
 * not declare is a bug in the probe, named as such.
 */
export function declaredOptionReader(
  probeId: string,
  declared: OptionSpecs,
  given: Readonly<Record<string, string>>,
): (name: string) => unknown {
  return (name) => {
    const spec = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (!spec) throw new Error(`probe ${probeId} reads --probe-option ${name} but does not declare it in its options`);
    return optionValue(spec, name, given[name]);
  };
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function nearest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (!best || d < best.distance) best = { key: candidate, distance: d };
  }
  return best?.key;
}

/**
 * Checks every given --probe-option against the probes' declarations, before anything connects:
 * an unknown key names the nearest known one, a bad value the form expected. Throws UsageError.
 */
export function checkProbeOptions(given: Readonly<Record<string, string>>, probes: readonly DeclaresOptions[]): void {
  const declared = new Map<string, { probe: string; spec: OptionSpec<unknown> }[]>();
  for (const probe of probes) {
    for (const [key, spec] of Object.entries(probe.options ?? {}))
      declared.set(key, [...(declared.get(key) ?? []), { probe: probe.id, spec }]);
  }
  const known = [...declared.keys()].sort();
  for (const [key, value] of Object.entries(given)) {
    const specs = declared.get(key);
    if (!specs) {
      const near = nearest(key, known);
      const hint = near ? `nearest is '${near}'; ` : '';
      throw new UsageError(`--probe-option: no probe reads '${key}' (known: ${hint}'ai-conformance list' shows every option)`);
    }
    for (const { probe, spec } of specs) {
      if (spec.parse(value) === undefined) throw new UsageError(`--probe-option ${key}=${value} is not ${spec.expects} (read by ${probe})`);
    }
  }
}

export interface OptionRow {
  key: string;
  probe: string;
  type: OptionType;
  default: string;
  description: string;
}

/** Every declared option, sorted by key: for `list` and the README. */
export function optionRows(probes: readonly DeclaresOptions[]): OptionRow[] {
  return probes
    .flatMap((probe) =>
      Object.entries(probe.options ?? {}).map(([key, spec]) => ({
        key,
        probe: probe.id,
        type: spec.type,
        default: spec.shownDefault,
        description: spec.description,
      })),
    )
    .sort((a, b) => a.key.localeCompare(b.key) || a.probe.localeCompare(b.probe));
}

/** The README's option table (tested against the README, so the two cannot drift apart). */
export function optionsMarkdown(probes: readonly DeclaresOptions[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| option | probe | type | default | what it sets |',
    '|---|---|---|---|---|',
    ...optionRows(probes).map(
      (row) => `| \`${row.key}\` | \`${row.probe}\` | ${row.type} | ${cell(row.default)} | ${cell(row.description)} |`,
    ),
  ].join('\n');
}

/** One of a fixed set of words. */
export function choice<const T extends string>(values: readonly T[], defaultValue: T, description: string): OptionSpec<T> {
  return {
    type: 'choice',
    description: `${description} (${values.join(', ')})`,
    default: defaultValue,
    expects: `one of ${values.join(', ')}`,
    shownDefault: defaultValue,
    parse: (raw) => values.find((value) => value === raw.trim()),
  };
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** On or off: `true` or `false`. */
export function flag(defaultValue: boolean, description: string): OptionSpec<boolean> {
  return {
    type: 'boolean',
    description,
    default: defaultValue,
    expects: 'true or false',
    shownDefault: String(defaultValue),
    parse: (raw) => (raw.trim() === 'true' ? true : raw.trim() === 'false' ? false : undefined),
  };
}

/** A Prometheus metric name, for a metric the probe serves and asks for. */
export function metricName(defaultName: string, description: string): OptionSpec<string> {
  return {
    type: 'text',
    description,
    default: defaultName,
    expects: 'a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)',
    shownDefault: defaultName,
    parse: (raw) => (METRIC_NAME.test(raw.trim()) ? raw.trim() : undefined),
  };
}
