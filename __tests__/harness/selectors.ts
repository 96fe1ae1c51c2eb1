// Label and field selectors as the apiserver parses them.
import { badRequest } from './errors.js';
import type { KObj } from './types.js';
import { textOf } from './types.js';

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part): LabelRequirement => {
    let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m)
      return {
        op: m[2] === 'in' ? 'in' : 'notin',
        key: m[1],
        values: m[3]
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      };
    m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(part);
    if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] };
    m = /^!([^\s!=]+)$/.exec(part);
    if (m) return { op: 'notexists', key: m[1] };
    m = /^([^\s!=()]+)$/.exec(part);
    if (m) return { op: 'exists', key: m[1] };
    throw badRequest(`unable to parse requirement: ${JSON.stringify(part)}`);
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l: Partial<Record<string, string>> = labels ?? {};
  return selector.every((req) => {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const value = l[req.key];
    switch (req.op) {
      case 'eq':
        return has && value === req.value;
      case 'neq':
        return !has || value !== req.value;
      case 'in':
        return has && value !== undefined && req.values.includes(value);
      case 'notin':
        return !has || value === undefined || !req.values.includes(value);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** A metav1.LabelSelector (matchLabels + matchExpressions), as in Deployment.spec.selector. */
export function matchesLabelSelectorObject(selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (typeof selector !== 'object' || selector === null) return false;
  const sel = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const reqs: LabelSelector = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ op: 'eq', key, value });
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') reqs.push({ op: 'in', key: e.key, values: e.values ?? [] });
    else if (e.operator === 'NotIn') reqs.push({ op: 'notin', key: e.key, values: e.values ?? [] });
    else if (e.operator === 'Exists') reqs.push({ op: 'exists', key: e.key });
    else if (e.operator === 'DoesNotExist') reqs.push({ op: 'notexists', key: e.key });
  }
  return matchesLabels(reqs, labels);
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

/** Fields the apiserver accepts in field selectors, for every kind and per kind. */
const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];
const FIELDS_BY_KIND: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Secret: ['type'],
  Job: ['status.successful'],
  ResourceSlice: ['spec.nodeName', 'spec.driver'],
  ReplicaSet: ['status.replicas'],
};

export function parseFieldSelector(text: string | undefined, kind: string): FieldRequirement[] {
  if (!text) return [];
  return splitTopLevel(text).map((part) => {
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1].trim();
    if (!COMMON_FIELDS.includes(field) && !(FIELDS_BY_KIND[kind] ?? []).includes(field)) {
      throw badRequest(
        `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"${(FIELDS_BY_KIND[kind] ?? []).map((f) => `, "${f}"`).join('')}`,
      );
    }
    return { field, value: m[3].trim(), negate: m[2] === '!=' };
  });
}

function fieldValue(obj: KObj, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return textOf(cur);
}

export function matchesFields(reqs: FieldRequirement[], obj: KObj): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}
