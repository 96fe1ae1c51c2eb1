// API discovery, cached for the whole run: which group/versions are served and which resources
// (plural name, namespaced or not) back each kind. Objects of a kind the cache does not know yet
// (a CRD installed mid-run) trigger one fresh lookup of that group/version.

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

export class Discovery {
  private groups?: Promise<Map<string, string[]>>;
  private readonly resourceLists = new Map<string, Promise<V1APIResource[] | undefined>>();

  constructor(private readonly api: ApiClient) {}

  /** group ("" for core) -> served versions as group/version, preferred first. */
  private loadGroups(): Promise<Map<string, string[]>> {
    this.groups ??= (async () => {
      const map = new Map<string, string[]>();
      const core = await this.api.json<V1APIVersions>('/api');
      map.set('', core.versions);
      const list = await this.api.json<V1APIGroupList>('/apis');
      for (const group of list.groups) {
        const preferred = group.preferredVersion?.groupVersion;
        const versions = group.versions.map((v) => v.groupVersion);
        map.set(group.name, preferred ? [preferred, ...versions.filter((v) => v !== preferred)] : versions);
      }
      return map;
    })();
    // A failed discovery is retried on the next call rather than cached.
    this.groups.catch(() => {
      this.groups = undefined;
    });
    return this.groups;
  }

  async groupVersions(group: string): Promise<string[]> {
    return (await this.loadGroups()).get(group) ?? [];
  }

  async isServed(groupVersion: string): Promise<boolean> {
    const group = groupVersion.includes('/') ? groupVersion.split('/')[0] : '';
    return (await this.groupVersions(group)).includes(groupVersion);
  }

  resources(groupVersion: string, refresh = false): Promise<V1APIResource[] | undefined> {
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
