// API discovery, cached for the whole run: which group/versions are served and which resources
// (plural name, namespaced or not) back each kind. Objects of a kind the cache does not know yet
// (a CRD installed mid-run) trigger one fresh lookup of that group/version.
//
// Aggregated discovery (KEP-3352, served since Kubernetes 1.26 beta, GA in 1.30) answers all of it
// in two requests, /api and /apis, sent together, as kubectl and client-go ask for it; a server
// that does not serve it answers the legacy documents to the same requests, and each
// group/version's resources are then fetched on first use, once per run.

import type { V1APIGroupList, V1APIResource, V1APIResourceList, V1APIVersions } from '@kubernetes/client-node';
import type { ApiClient } from './api.js';
import { KubeApiError } from './http.js';

export interface ResourceInfo {
  /** Plural resource name, e.g. "pods". */
  plural: string;
  namespaced: boolean;
}

export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** What kubectl and client-go send: aggregated v2, then v2beta1 (1.26-1.29), then the legacy documents. */
export const DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList, as much of it as discovery needs. */
interface AggregatedList {
  kind: 'APIGroupDiscoveryList';
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      /** Stale: an aggregated API server did not answer; its resources are looked up on use. */
      freshness?: string;
      resources?: {
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        singularResource?: string;
        verbs?: string[];
        shortNames?: string[];
        subresources?: { subresource: string; responseKind?: { kind?: string }; verbs?: string[] }[];
      }[];
    }[];
  }[];
}

function isAggregated(document: unknown): document is AggregatedList {
  return typeof document === 'object' && document !== null && (document as { kind?: unknown }).kind === 'APIGroupDiscoveryList';
}

/** An aggregated version's resources as the legacy list names them (subresources as "pods/log"). */
function legacyResources(
  resources: NonNullable<NonNullable<NonNullable<AggregatedList['items']>[number]['versions']>[number]['resources']>,
): V1APIResource[] {
  return resources.flatMap((r) => {
    const namespaced = r.scope === 'Namespaced';
    const main: V1APIResource = {
      name: r.resource,
      kind: r.responseKind?.kind ?? '',
      namespaced,
      singularName: r.singularResource ?? '',
      verbs: r.verbs ?? [],
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    };
    const subresources = (r.subresources ?? []).map((sub) => ({
      name: `${r.resource}/${sub.subresource}`,
      kind: sub.responseKind?.kind ?? '',
      namespaced,
      singularName: '',
      verbs: sub.verbs ?? [],
    }));
    return [main, ...subresources];
  });
}

export class Discovery {
  private groups?: Promise<Map<string, string[]>>;
  private readonly resourceLists = new Map<string, Promise<V1APIResource[] | undefined>>();

  constructor(private readonly api: ApiClient) {}

  /** group ("" for core) -> served versions as group/version, preferred first. */
  private loadGroups(): Promise<Map<string, string[]>> {
    this.groups ??= (async () => {
      const map = new Map<string, string[]>();
      const [core, list] = await Promise.all([
        this.api.json<V1APIVersions | AggregatedList>('/api', { accept: DISCOVERY_ACCEPT }),
        this.api.json<V1APIGroupList | AggregatedList>('/apis', { accept: DISCOVERY_ACCEPT }),
      ]);
      for (const document of [core, list]) {
        if (isAggregated(document)) this.addAggregated(map, document);
        else if ('versions' in document) map.set('', document.versions);
        else {
          for (const group of document.groups) {
            const preferred = group.preferredVersion?.groupVersion;
            const versions = group.versions.map((v) => v.groupVersion);
            map.set(group.name, preferred ? [preferred, ...versions.filter((v) => v !== preferred)] : versions);
          }
        }
      }
      return map;
    })();
    // A failed discovery is retried on the next call rather than cached.
    this.groups.catch(() => {
      this.groups = undefined;
    });
    return this.groups;
  }

  /** Groups in the server's order, versions preferred first (as aggregated discovery lists them). */
  private addAggregated(map: Map<string, string[]>, document: AggregatedList): void {
    for (const group of document.items ?? []) {
      const name = group.metadata?.name ?? '';
      const versions: string[] = [];
      for (const version of group.versions ?? []) {
        const groupVersion = name === '' ? version.version : `${name}/${version.version}`;
        versions.push(groupVersion);
        if (version.freshness !== 'Stale' && !this.resourceLists.has(groupVersion)) {
          this.resourceLists.set(groupVersion, Promise.resolve(legacyResources(version.resources ?? [])));
        }
      }
      map.set(name, versions);
    }
  }

  async groupVersions(group: string): Promise<string[]> {
    return (await this.loadGroups()).get(group) ?? [];
  }

  async isServed(groupVersion: string): Promise<boolean> {
    const group = groupVersion.includes('/') ? groupVersion.split('/')[0] : '';
    return (await this.groupVersions(group)).includes(groupVersion);
  }

  async resources(groupVersion: string, refresh = false): Promise<V1APIResource[] | undefined> {
    // Aggregated discovery may already have answered; if it cannot be read, the lookup below says why.
    if (!refresh) await this.loadGroups().catch(() => undefined);
    let cached = this.resourceLists.get(groupVersion);
    if (!cached || refresh) {
      cached = this.api.json<V1APIResourceList>(groupVersionPath(groupVersion)).then(
        (list) => list.resources,
        (error: unknown) => {
          if (error instanceof KubeApiError && error.code === 404) return undefined;
          this.resourceLists.delete(groupVersion);
          throw error;
        },
      );
      this.resourceLists.set(groupVersion, cached);
    }
    return cached;
  }

  /** The resource serving a kind; throws a one-line error when the server does not serve it. */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const find = (list: V1APIResource[] | undefined) => list?.find((r) => r.kind === kind && !r.name.includes('/'));
    let found = find(await this.resources(apiVersion));
    if (!found) found = find(await this.resources(apiVersion, true));
    if (!found) throw new KubeApiError(`the server does not serve ${kind} in ${apiVersion}`, 404, 'NotFound');
    return { plural: found.name, namespaced: found.namespaced };
  }
}
