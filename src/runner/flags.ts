// Parsing of the run flags that are more than strings: durations, counts, levels, key=value lists.

import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Node's timers overflow past this (about 24.8 days) and then fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** "90s", "10m", "1h30m", "500ms", or a bare number of seconds. */
export function parseDuration(flag: string, value: string): number {
  const trimmed = value.trim();
  const parts = /^\d+(\.\d+)?$/.test(trimmed) ? [[trimmed, trimmed, 's']] : [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UsageError(`${flag} '${value}' is not a duration (e.g. 90s, 10m, 1h)`);
  }
  const ms = Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]], 0));
  if (ms <= 0) throw new UsageError(`${flag} must be longer than zero`);
  if (ms > MAX_TIMER_MS) throw new UsageError(`${flag} '${value}' is too long (at most 24 days)`);
  return ms;
}

export function parsePositiveInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new UsageError(`${flag} '${value}' is not a whole number of at least 1`);
  return Number(value);
}

/** A number above zero, fractions allowed (e.g. --qps 2.5). */
export function parsePositiveNumber(flag: string, value: string): number {
  const number = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(number > 0)) throw new UsageError(`${flag} '${value}' is not a number above 0`);
  return number;
}

export function parseLevel(value: string | undefined): 'must' | 'should' | 'all' {
  const level = (value ?? 'all').toLowerCase();
  if (level !== 'must' && level !== 'should' && level !== 'all')
    throw new UsageError(`--level must be must, should or all, not '${value}'`);
  return level;
}

/** Repeated KEY=VALUE flags into a record. */
export function parseKeyValues(flag: string, values: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const value of values) {
    const split = value.indexOf('=');
    if (split <= 0) throw new UsageError(`${flag} '${value}' is not KEY=VALUE`);
    record[value.slice(0, split).trim()] = value.slice(split + 1).trim();
  }
  return record;
}
