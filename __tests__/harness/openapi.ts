// Minimal OpenAPI v3 documents: enough for kubectl to learn that the server validates fields
// itself (fieldValidation on PATCH), so `kubectl apply`/`create` work without client-side
// schemas. Schemas are not served (kubectl explain is out of scope).
import type { ResourceRegistry } from './resources.js';
import { groupVersionString } from './resources.js';

function docPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openapiRoot(registry: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const gv of registry.all()) {
    const p = docPath(gv.group, gv.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${gv.resources.length.toString(16)}` };
  }
  return { paths };
}

export function openapiGroupVersion(registry: ResourceRegistry, path: string): Record<string, unknown> | undefined {
  const gv = registry.all().find((g) => docPath(g.group, g.version) === path);
  if (!gv) return undefined;
  const paths: Record<string, unknown> = {};
  const fieldValidation = {
    name: 'fieldValidation',
    in: 'query',
    description: 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
    schema: { type: 'string', uniqueItems: true },
  };
  for (const r of gv.resources) {
    const base = `/${docPath(gv.group, gv.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}/{name}`;
    const gvk = { group: gv.group, version: gv.version, kind: r.kind };
    paths[base] = {
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: [fieldValidation],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: groupVersionString(gv.group, gv.version) },
    paths,
    components: { schemas: {} },
  };
}
