import { randomBytes } from 'node:crypto';

/** A label-safe, time-sortable id: "r" + UTC time + 6 random hex digits, e.g. r20261122t0807-3fa9c1. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 13).toLowerCase();
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The namespace a probe runs in: DNS-1123, at most 63 characters, unique per run. */
export function probeNamespace(probeId: string, runId: string): string {
  const suffix = runId.slice(-6);
  const base = `aic-${probeId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 63 - suffix.length - 1).replace(/-+$/, '');
  return `${base}-${suffix}`;
}
