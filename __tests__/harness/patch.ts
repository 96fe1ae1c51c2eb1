// The three patch types the apiserver accepts (server-side apply is answered as a merge).
import { ApiError, badRequest } from './errors.js';
import { clone, isRecord } from './types.js';

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** Merge keys of the lists probes and controllers patch most (subset of the Go struct tags). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  tolerations: 'key',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  claims: 'name',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
  resourceClaimStatuses: 'name',
  taints: 'key',
  addresses: 'type',
  devices: 'name',
};

/** Strategic merge for the common cases: merge-keyed lists, $patch: delete/replace, null deletes. */
export function strategicMergePatch(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(target)) return clone(patch.filter((p) => !(isRecord(p) && p.$patch === 'delete')));
    const out: unknown[] = [...(target as unknown[])];
    for (const item of patch) {
      if (!isRecord(item)) {
        out.push(item);
        continue;
      }
      const idx = out.findIndex((t) => isRecord(t) && t[key] === item[key]);
      if (item.$patch === 'delete') {
        if (idx >= 0) out.splice(idx, 1);
      } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
      else out.push(strategicMergePatch(undefined, item));
    }
    return out;
  }
  if (!isRecord(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return clone(rest);
  }
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) delete out[key];
    else out[key] = strategicMergePatch(out[key], value, key);
  }
  return out;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** RFC 6902. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('the JSON patch is not an array of operations');
  let doc: unknown = clone(target);
  for (const raw of ops) {
    if (!isRecord(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('invalid JSON patch operation');
    const op = raw.op;
    if (op === 'test') {
      if (JSON.stringify(get(doc, raw.path)) !== JSON.stringify(raw.value)) {
        throw new ApiError(
          422,
          'Invalid',
          `the server rejected our request due to an error in our request: testing value at ${raw.path} failed`,
        );
      }
      continue;
    }
    if (op === 'add' || op === 'replace') doc = put(doc, raw.path, clone(raw.value), op);
    else if (op === 'remove') doc = remove(doc, raw.path);
    else if (op === 'move' || op === 'copy') {
      if (typeof raw.from !== 'string') throw badRequest(`${op} operation needs "from"`);
      const value = clone(get(doc, raw.from));
      if (op === 'move') doc = remove(doc, raw.from);
      doc = put(doc, raw.path, value, 'add');
    } else throw badRequest(`unexpected JSON patch operation "${op}"`);
  }
  return doc;
}

function tokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescapePointer);
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of tokens(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: unknown, path: string): { parent: unknown; last: string } {
  const ts = tokens(path);
  const last = ts.pop();
  if (last === undefined) throw badRequest('cannot operate on the document root');
  let cur = doc;
  for (const t of ts) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new ApiError(422, 'Invalid', `the server rejected our request: path ${path} does not exist`);
  }
  return { parent: cur, last };
}

function put(doc: unknown, path: string, value: unknown, op: 'add' | 'replace'): unknown {
  if (path === '') return value;
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : Number(last);
    if (op === 'add') parent.splice(idx, 0, value);
    else parent[idx] = value;
  } else if (isRecord(parent)) {
    if (op === 'replace' && !(last in parent))
      throw new ApiError(422, 'Invalid', `the server rejected our request: replace operation does not apply: doc is missing key: ${path}`);
    parent[last] = value;
  }
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isRecord(parent)) {
    if (!(last in parent))
      throw new ApiError(422, 'Invalid', `the server rejected our request: remove operation does not apply: doc is missing path: ${path}`);
    delete parent[last];
  }
  return doc;
}
