// DRA allocation as the scheduler's DRA plugin does it (greedy): devices come from ResourceSlices,
// a request picks devices of its DeviceClass (class and request CEL selectors), never one that
// another claim already holds.
import type { CelDevice } from './cel.js';
import { CelUnsupported, evaluateCel } from './cel.js';
import { arr, rec } from './controllers/util.js';
import type { Store } from './store.js';
import type { KObj } from './types.js';
import { textOf } from './types.js';

export const CLAIMS = 'resourceclaims.resource.k8s.io';
export const SLICES = 'resourceslices.resource.k8s.io';
export const CLASSES = 'deviceclasses.resource.k8s.io';
export const TEMPLATES = 'resourceclaimtemplates.resource.k8s.io';

export interface Device {
  driver: string;
  pool: string;
  name: string;
  /** undefined: reachable from every node. */
  nodeName?: string;
  cel: CelDevice;
  attributes: Record<string, unknown>;
}

export interface DeviceResult {
  request: string;
  driver: string;
  pool: string;
  device: string;
}

function attrValue(v: unknown): string | number | boolean | undefined {
  const r = rec(v);
  if (typeof r.string === 'string') return r.string;
  if (typeof r.int === 'number') return r.int;
  if (typeof r.bool === 'boolean') return r.bool;
  if (typeof r.version === 'string') return r.version;
  return undefined;
}

export function devicesOf(store: Store): Device[] {
  if (!store.registry.byKey(SLICES)) return [];
  const out: Device[] = [];
  for (const slice of store.peek(SLICES)) {
    const spec = rec(slice.spec);
    const driver = textOf(spec.driver);
    const pool = textOf(rec(spec.pool).name);
    const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : undefined;
    for (const d of arr(spec.devices)) {
      const attributes = rec(d.attributes);
      const byDomain: CelDevice['attributes'] = {};
      for (const [k, v] of Object.entries(attributes)) {
        const slash = k.indexOf('/');
        const domain = slash >= 0 ? k.slice(0, slash) : driver;
        const name = slash >= 0 ? k.slice(slash + 1) : k;
        const value = attrValue(v);
        if (value !== undefined) (byDomain[domain] ??= {})[name] = value;
      }
      out.push({ driver, pool, name: String(d.name), nodeName, cel: { driver, attributes: byDomain }, attributes });
    }
  }
  return out;
}

export function deviceId(d: { driver: string; pool: string; device?: string; name?: string }): string {
  return `${d.driver}/${d.pool}/${d.device ?? d.name ?? ''}`;
}

export function allocationResults(claim: KObj): DeviceResult[] {
  return arr(rec(rec(rec(claim.status).allocation).devices).results).map((r) => ({
    request: String(r.request),
    driver: String(r.driver),
    pool: String(r.pool),
    device: String(r.device),
  }));
}

export function allocatedNode(claim: KObj): string | undefined {
  const terms = arr(rec(rec(rec(claim.status).allocation).nodeSelector).nodeSelectorTerms);
  for (const t of terms)
    for (const f of arr(t.matchFields)) if (f.key === 'metadata.name' && Array.isArray(f.values)) return String(f.values[0]);
  return undefined;
}

/** Devices held by any allocated claim. */
export function heldDevices(store: Store): Set<string> {
  const held = new Set<string>();
  if (!store.registry.byKey(CLAIMS)) return held;
  for (const claim of store.peek(CLAIMS)) for (const r of allocationResults(claim)) held.add(deviceId(r));
  return held;
}

interface SubRequest {
  name: string;
  deviceClassName: string;
  selectors: string[];
  mode: 'ExactCount' | 'All';
  count: number;
}

function subRequests(request: Record<string, unknown>): SubRequest[] {
  const from = (r: Record<string, unknown>, name: string): SubRequest => ({
    name,
    deviceClassName: textOf(r.deviceClassName),
    selectors: arr(r.selectors).map((s) => textOf(rec(s.cel).expression)),
    mode: r.allocationMode === 'All' ? 'All' : 'ExactCount',
    count: typeof r.count === 'number' ? r.count : 1,
  });
  const name = textOf(request.name);
  if (isRecordLike(request.exactly)) return [from(rec(request.exactly), name)];
  if (Array.isArray(request.firstAvailable)) return arr(request.firstAvailable).map((s) => from(s, `${name}/${String(s.name)}`));
  return [from(request, name)];
}

function isRecordLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

export type AllocationOutcome = { ok: true; results: DeviceResult[]; config: unknown[] } | { ok: false; reason: string };

/**
 * Tries to allocate a claim on a node, given devices already taken (which it extends on success).
 */
export function allocateClaim(store: Store, claim: KObj, nodeName: string, taken: Set<string>, devices: Device[]): AllocationOutcome {
  const spec = rec(rec(claim.spec).devices);
  const results: DeviceResult[] = [];
  const config: unknown[] = [];
  const local = new Set(taken);
  for (const request of arr(spec.requests)) {
    let satisfied = false;
    let lastReason = 'cannot allocate all claims';
    for (const sub of subRequests(request)) {
      const cls = store.get(CLASSES, undefined, sub.deviceClassName);
      if (!cls) {
        lastReason = `resourceclaim "${claim.metadata.name ?? ''}": device class ${sub.deviceClassName} does not exist`;
        continue;
      }
      const classSelectors = arr(rec(cls.spec).selectors).map((s) => textOf(rec(s.cel).expression));
      let candidates: Device[];
      try {
        candidates = devices.filter(
          (d) =>
            (d.nodeName === undefined || d.nodeName === nodeName) &&
            !local.has(deviceId(d)) &&
            [...classSelectors, ...sub.selectors].every((e) => evaluateCel(e, d.cel)),
        );
      } catch (e) {
        if (e instanceof CelUnsupported) return { ok: false, reason: `CEL runtime error: ${e.message}` };
        throw e;
      }
      const need = sub.mode === 'All' ? candidates.length : sub.count;
      if (candidates.length < need || need === 0) continue;
      for (const d of candidates.slice(0, need)) {
        local.add(deviceId(d));
        results.push({ request: sub.name, driver: d.driver, pool: d.pool, device: d.name });
      }
      for (const c of arr(rec(cls.spec).config)) config.push({ source: 'FromClass', requests: [sub.name.split('/')[0]], ...c });
      satisfied = true;
      break;
    }
    if (!satisfied) return { ok: false, reason: lastReason };
  }
  for (const c of arr(spec.config)) config.push({ source: 'FromClaim', ...c });
  for (const id of local) taken.add(id);
  return { ok: true, results, config };
}

/** The claim names a pod uses, by its pod-level claim name; undefined where not created yet. */
export function podClaimNames(pod: KObj): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const statuses = arr(rec(pod.status).resourceClaimStatuses);
  for (const rc of arr(rec(pod.spec).resourceClaims)) {
    const name = String(rc.name);
    if (typeof rc.resourceClaimName === 'string') out.set(name, rc.resourceClaimName);
    else out.set(name, statuses.find((s) => s.name === name)?.resourceClaimName as string | undefined);
  }
  return out;
}
