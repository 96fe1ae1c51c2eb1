// Shared pieces of the simulated scheduling/metrics add-ons (kueue, volcano, hpa, custom metrics,
// cluster-autoscaler, prometheus): quantities, pod requests, and what a pod serves on /metrics.
//
// What a pod serves: no container runs in the fake, so a pod "serves" on /metrics the text of its
// annotation `ai-conformance.cncf.io/metrics` — exactly what the probes' metrics workload does on a
// real cluster (busybox httpd serving the downward-API projection of that annotation). A pod
// serves only while Running and Ready, and only on a container port it declares.
import type { KObj } from '../types.js';
import { isRecord } from '../types.js';
import { parsePrometheusText, type Sample } from '../../../src/probes/lib/prometheus-text.js';

export const METRICS_ANNOTATION = 'ai-conformance.cncf.io/metrics';

export function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function arr(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function labelsOf(obj: KObj): Record<string, string> {
  return obj.metadata.labels ?? {};
}

/** A Kubernetes quantity as a number of base units (cpu in cores, memory in bytes). */
export function quantity(text: unknown): number {
  if (typeof text === 'number') return text;
  if (typeof text !== 'string') return 0;
  const match = /^([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  if (!match) return 0;
  const factor: Record<string, number> = {
    '': 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return Number(match[1]) * (factor[match[2]] ?? 0);
}

/** Requests of one pod spec (requests, else limits, summed over containers). */
export function podRequests(spec: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const container of arr(rec(spec).containers)) {
    const resources = rec(container.resources);
    const requests = { ...rec(resources.limits), ...rec(resources.requests) };
    for (const [name, value] of Object.entries(requests)) out[name] = (out[name] ?? 0) + quantity(value);
  }
  return out;
}

export function podPhase(pod: KObj): string | undefined {
  return str(rec(pod.status).phase);
}

export function isTerminal(pod: KObj): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp !== undefined;
}

export function isReady(pod: KObj): boolean {
  return podPhase(pod) === 'Running' && arr(rec(pod.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The container ports a pod declares, by name and number. */
export function podPorts(pod: KObj): { name?: string; port: number }[] {
  const ports: { name?: string; port: number }[] = [];
  for (const container of arr(rec(pod.spec).containers)) {
    for (const port of arr(container.ports)) ports.push({ name: str(port.name), port: Number(port.containerPort) });
  }
  return ports;
}

/** What the pod answers on GET :PORT/metrics, or undefined when nothing listens. */
export function podMetricsText(pod: KObj): string | undefined {
  if (!isReady(pod)) return undefined;
  return pod.metadata.annotations?.[METRICS_ANNOTATION];
}

export function podSamples(pod: KObj): Sample[] {
  const text = podMetricsText(pod);
  return text === undefined ? [] : parsePrometheusText(text).samples;
}

export function hasCondition(obj: KObj, type: string): boolean {
  return arr(rec(obj.status).conditions).some((c) => c.type === type && c.status === 'True');
}

export function condition(type: string, status: 'True' | 'False', reason: string, message: string): Record<string, string> {
  return { type, status, reason, message, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
}
