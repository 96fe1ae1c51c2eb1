// The resource registry: which group/version/resources the server serves, built from the real
// discovery documents in fixtures/discovery/ for the scenario's Kubernetes version,
// plus CRDs and aggregated APIs registered at run time.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRecord, textOf } from './types.js';

export interface SubresourceInfo {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, e.g. pods. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources: SubresourceInfo[];
  storageVersionHash?: string;
  /** Served by a CRD (objects keep kind/apiVersion in lists) rather than built in. */
  custom?: boolean;
}

export interface GroupVersionInfo {
  group: string;
  version: string;
  resources: ResourceInfo[];
  /** Where it came from: built-in, crd, or aggregated (an APIService). */
  source: 'builtin' | 'crd' | 'aggregated';
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** fixtures/discovery: real kube-apiserver discovery documents (see its SOURCES.md). */
export const DISCOVERY_DIR = resolve(HERE, '..', '..', 'fixtures', 'discovery');

export function resourceKey(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export function groupVersionString(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function readJson(file: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(join(DISCOVERY_DIR, file), 'utf8'));
  if (!isRecord(parsed)) throw new Error(`discovery fixture ${file} is not an object`);
  return parsed;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Legacy APIResourceList -> ResourceInfo[] (subresources folded into their parents). */
export function fromResourceList(group: string, version: string, doc: Record<string, unknown>): ResourceInfo[] {
  const list = Array.isArray(doc.resources) ? doc.resources.filter(isRecord) : [];
  const byName = new Map<string, ResourceInfo>();
  for (const r of list) {
    const name = String(r.name);
    if (name.includes('/')) continue;
    byName.set(name, {
      group,
      version,
      resource: name,
      singular: typeof r.singularName === 'string' && r.singularName ? r.singularName : String(r.kind).toLowerCase(),
      kind: String(r.kind),
      namespaced: r.namespaced === true,
      verbs: strings(r.verbs),
      shortNames: r.shortNames ? strings(r.shortNames) : undefined,
      categories: r.categories ? strings(r.categories) : undefined,
      subresources: [],
      storageVersionHash: typeof r.storageVersionHash === 'string' ? r.storageVersionHash : undefined,
    });
  }
  for (const r of list) {
    const name = String(r.name);
    const slash = name.indexOf('/');
    if (slash < 0) continue;
    const parent = byName.get(name.slice(0, slash));
    if (!parent) continue;
    parent.subresources.push({
      name: name.slice(slash + 1),
      kind: String(r.kind),
      group: typeof r.group === 'string' ? r.group : undefined,
      version: typeof r.version === 'string' ? r.version : undefined,
      verbs: strings(r.verbs),
    });
  }
  return [...byName.values()];
}

/** Aggregated (apidiscovery.k8s.io/v2) resource entries -> ResourceInfo[]. */
function fromAggregated(group: string, version: string, resources: unknown[]): ResourceInfo[] {
  return resources.filter(isRecord).map((r) => {
    const kind = isRecord(r.responseKind) ? String(r.responseKind.kind) : '';
    const subs = Array.isArray(r.subresources) ? r.subresources.filter(isRecord) : [];
    return {
      group,
      version,
      resource: String(r.resource),
      singular: textOf(r.singularResource, kind.toLowerCase()),
      kind,
      namespaced: r.scope === 'Namespaced',
      verbs: strings(r.verbs),
      shortNames: r.shortNames ? strings(r.shortNames) : undefined,
      categories: r.categories ? strings(r.categories) : undefined,
      subresources: subs.map((s) => {
        const rk = isRecord(s.responseKind) ? s.responseKind : {};
        return {
          name: String(s.subresource),
          kind: textOf(rk.kind, kind),
          group: typeof rk.group === 'string' && rk.group ? rk.group : undefined,
          version: typeof rk.version === 'string' && rk.version ? rk.version : undefined,
          verbs: strings(s.verbs),
        };
      }),
    };
  });
}

/** Per-group-version documents that are closer to 1.34/1.35 than the master aggregated doc. */
const GROUP_VERSION_FILES: Record<string, string> = {
  'apps/v1': 'apis__apps__v1.json',
  'batch/v1': 'apis__batch__v1.json',
  'autoscaling/v2': 'apis__autoscaling__v2.json',
  'apiextensions.k8s.io/v1': 'apis__apiextensions.k8s.io__v1.json',
  'resource.k8s.io/v1': 'apis__resource.k8s.io__v1.json',
  'resource.k8s.io/v1beta1': 'apis__resource.k8s.io__v1beta1.json',
  'resource.k8s.io/v1beta2': 'apis__resource.k8s.io__v1beta2.json',
};

/**
 * The group versions a default (no feature gates, no runtime-config) cluster of this version
 * serves, preferred version first in each group. The rule, documented in
 * fixtures/scenarios/README.md: every GA (vN) version of the master aggregated document, the
 * core v1 list from api__v1.json (plus pods/resize, added in 1.33), resource.k8s.io
 * v1beta2+v1beta1 on 1.33 and v1+v1beta2+v1beta1 from 1.34; per-group-version files replace the
 * master's resource lists where present. Alpha and other beta APIs are off by default upstream.
 * storagemigration.k8s.io/v1 is only served from 1.36 on.
 */
export function builtinGroupVersions(kubernetesVersion: string): GroupVersionInfo[] {
  const minor = Number(kubernetesVersion.split('.')[1] ?? '35');
  const out: GroupVersionInfo[] = [];

  const core = fromResourceList('', 'v1', readJson('api__v1.json'));
  const pods = core.find((r) => r.resource === 'pods');
  if (pods && !pods.subresources.some((s) => s.name === 'resize')) {
    pods.subresources.push({ name: 'resize', kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  }
  out.push({ group: '', version: 'v1', resources: core, source: 'builtin' });

  const aggregated = readJson('k8s-master-9d2a8fb7.aggregated_v2.json');
  const items = Array.isArray(aggregated.items) ? aggregated.items.filter(isRecord) : [];
  for (const item of items) {
    const group = isRecord(item.metadata) ? textOf(item.metadata.name) : '';
    const versions = Array.isArray(item.versions) ? item.versions.filter(isRecord) : [];
    let wanted: string[];
    if (group === 'resource.k8s.io') wanted = minor <= 33 ? ['v1beta2', 'v1beta1'] : ['v1', 'v1beta2', 'v1beta1'];
    else if (group === 'storagemigration.k8s.io') wanted = minor >= 36 ? ['v1'] : [];
    else wanted = versions.map((v) => String(v.version)).filter((v) => /^v\d+$/.test(v));
    for (const version of wanted) {
      const file = GROUP_VERSION_FILES[`${group}/${version}`];
      const fromMaster = versions.find((v) => v.version === version);
      let resources: ResourceInfo[];
      if (file) resources = fromResourceList(group, version, readJson(file));
      else if (fromMaster && Array.isArray(fromMaster.resources)) resources = fromAggregated(group, version, fromMaster.resources);
      else continue;
      out.push({ group, version, resources, source: 'builtin' });
    }
  }
  return out;
}

/** Mutable registry of what is served; discovery is rendered from it on every request. */
export class ResourceRegistry {
  private readonly groupVersions: GroupVersionInfo[] = [];

  constructor(initial: GroupVersionInfo[]) {
    for (const gv of initial) this.add(gv);
  }

  add(gv: GroupVersionInfo): void {
    const existing = this.groupVersions.findIndex((g) => g.group === gv.group && g.version === gv.version);
    if (existing >= 0) this.groupVersions[existing] = gv;
    else this.groupVersions.push(gv);
  }

  remove(group: string, version?: string): void {
    for (let i = this.groupVersions.length - 1; i >= 0; i--) {
      const gv = this.groupVersions[i];
      if (gv.group === group && (version === undefined || gv.version === version)) this.groupVersions.splice(i, 1);
    }
  }

  all(): readonly GroupVersionInfo[] {
    return this.groupVersions;
  }

  /** Groups in registration order with their versions, preferred first. */
  groups(): { group: string; versions: GroupVersionInfo[] }[] {
    const order: string[] = [];
    const by = new Map<string, GroupVersionInfo[]>();
    for (const gv of this.groupVersions) {
      if (!by.has(gv.group)) {
        by.set(gv.group, []);
        order.push(gv.group);
      }
      by.get(gv.group)?.push(gv);
    }
    return order.map((group) => ({ group, versions: by.get(group) ?? [] }));
  }

  groupVersion(group: string, version: string): GroupVersionInfo | undefined {
    return this.groupVersions.find((g) => g.group === group && g.version === version);
  }

  find(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.groupVersion(group, version)?.resources.find((r) => r.resource === resource);
  }

  /** The resource for apiVersion+kind, e.g. ('apps/v1', 'Deployment'). */
  forKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
    const gv = this.groupVersion(group, version);
    const hit = gv?.resources.find((r) => r.kind === kind);
    if (hit) return hit;
    // A kind of a group whose stored version differs (v1beta1 manifest on a v1 server).
    for (const other of this.groupVersions) {
      if (other.group !== group) continue;
      const r = other.resources.find((x) => x.kind === kind);
      if (r) return r;
    }
    return undefined;
  }

  /** The resource by kubectl key (pods, deployments.apps), in its preferred version. */
  byKey(key: string): ResourceInfo | undefined {
    for (const gv of this.groupVersions) {
      for (const r of gv.resources) if (resourceKey(r.group, r.resource) === key) return r;
    }
    return undefined;
  }
}
