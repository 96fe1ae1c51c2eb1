// What the apiserver does with the fields of a written object before admission:
//   - built-in kinds: fields the kind's schema does not have are dropped; with
//     fieldValidation=Strict the request fails instead (400, "strict decoding error"), with Warn
//     (the default) each is reported in a `Warning` header. The schema is client-node's model of
//     the kind (its attribute maps), the closest typed description of the API we have here;
//   - custom resources: the CRD's structural schema prunes unknown fields (kept only under
//     x-kubernetes-preserve-unknown-fields) and validates what is left: types, required, enum,
//     bounds, lengths, patterns, item counts (422 Invalid with one cause per error), after
//     applying the schema's defaults.
// CEL rules (x-kubernetes-validations) and formats are not evaluated.

import * as k8s from '@kubernetes/client-node';
import { isRecord } from './types.js';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

function modelClass(name: string): ModelClass | undefined {
  const candidate: unknown = (k8s as Record<string, unknown>)[name];
  return typeof candidate === 'function' && 'getAttributeTypeMap' in candidate ? (candidate as unknown as ModelClass) : undefined;
}

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** client-node's model of a built-in kind: V1Pod, V1beta2ResourceClaim, CoreV1Event, EventsV1Event. */
function modelFor(group: string, version: string, kind: string): string | undefined {
  const groupPrefix = capitalised((group.split('.')[0] ?? '') || 'core');
  return [`${capitalised(version)}${kind}`, `${groupPrefix}${capitalised(version)}${kind}`].find((name) => modelClass(name) !== undefined);
}

/** Removes the fields of `value` its model does not know; returns their paths (spec.foo, spec.containers[0].bar). */
function pruneModel(value: unknown, type: string, path: string, unknown: string[]): void {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((item, i) => pruneModel(item, array[1], `${path}[${i}]`, unknown));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (isRecord(value)) for (const [key, item] of Object.entries(value)) pruneModel(item, map[1], `${path}[${key}]`, unknown);
    return;
  }
  const model = modelClass(type);
  if (!model || !isRecord(value)) return;
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const key of Object.keys(value)) {
    const child = path ? `${path}.${key}` : key;
    const childType = attributes.get(key);
    if (childType === undefined) {
      unknown.push(child);
      delete value[key];
    } else pruneModel(value[key], childType, child, unknown);
  }
}

/** Drops the fields a built-in kind does not have; returns their paths. Unknown kinds are left alone. */
export function pruneBuiltin(group: string, version: string, kind: string, object: Record<string, unknown>): string[] {
  const model = modelFor(group, version, kind);
  const unknown: string[] = [];
  if (model) pruneModel(object, model, '', unknown);
  return unknown;
}

export type Schema = Record<string, unknown>;

const ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** Structural pruning of a custom resource; returns the removed paths. */
export function pruneCustom(schema: Schema, value: unknown, path = '', unknown: string[] = []): string[] {
  const root = path === '';
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isRecord(items)) value.forEach((item, i) => pruneCustom(items, item, `${path}[${i}]`, unknown));
    return unknown;
  }
  if (!isRecord(value)) return unknown;
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  const additional = isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(value)) {
    const child = path ? `${path}.${key}` : key;
    // apiVersion, kind and metadata of a resource are the apiserver's, whatever the schema says.
    if ((root || embedded) && ROOT_FIELDS.has(key)) continue;
    const sub = properties?.[key];
    if (isRecord(sub)) pruneCustom(sub, value[key], child, unknown);
    else if (additional) pruneCustom(additional, value[key], child, unknown);
    else if (!preserve && (properties !== undefined || schema.type === 'object')) {
      unknown.push(child);
      delete value[key];
    }
  }
  return unknown;
}

/** Structural defaults (`default` of a property absent from the object), as the apiserver applies them. */
export function defaultCustom(schema: Schema, value: unknown): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isRecord(items)) value.forEach((item) => defaultCustom(items, item));
    return;
  }
  if (!isRecord(value) || !isRecord(schema.properties)) return;
  for (const [key, sub] of Object.entries(schema.properties)) {
    if (!isRecord(sub)) continue;
    if (!(key in value) && sub.default !== undefined) value[key] = structuredClone(sub.default);
    if (key in value) defaultCustom(sub, value[key]);
  }
}

export interface Cause {
  reason: string;
  field: string;
  message: string;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(schema: Schema, value: unknown): boolean {
  if (value === null) return schema.nullable === true;
  if (schema['x-kubernetes-int-or-string'] === true)
    return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  const type = schema.type;
  if (typeof type !== 'string') return true;
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** Validates a (pruned) custom resource against its schema, as the apiextensions validator reports. */
export function validateCustom(schema: Schema, value: unknown, path = '', causes: Cause[] = []): Cause[] {
  const field = path || '<root>';
  const invalid = (message: string): void =>
    void causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown(value)}: ${message}` });
  if (!typeMatches(schema, value)) {
    causes.push({
      reason: 'FieldValueTypeInvalid',
      field,
      message: `Invalid value: "${typeOf(value)}": ${field} in body must be of type ${String(schema.type)}: "${typeOf(value)}"`,
    });
    return causes;
  }
  if (value === null) return causes;
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${shown(value)}: supported values: ${schema.enum.map(shown).join(', ')}`,
    });
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      invalid(`${field} in body should be greater than or equal to ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      invalid(`${field} in body should be less than or equal to ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      causes.push({ reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${schema.maxLength} bytes` });
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      invalid(`${field} in body should be at least ${schema.minLength} chars long`);
    if (typeof schema.pattern === 'string' && !safeRegExp(schema.pattern)?.test(value))
      invalid(`${field} in body should match '${schema.pattern}'`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      causes.push({ reason: 'FieldValueTooMany', field, message: `Too many: ${value.length}: must have at most ${schema.maxItems} items` });
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      invalid(`${field} in body should have at least ${schema.minItems} items`);
    const items = schema.items;
    if (isRecord(items)) value.forEach((item, i) => validateCustom(items, item, `${path}[${i}]`, causes));
    return causes;
  }
  if (isRecord(value)) {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    for (const name of Array.isArray(schema.required) ? schema.required.map(String) : []) {
      if (!(name in value))
        causes.push({ reason: 'FieldValueRequired', field: path ? `${path}.${name}` : name, message: 'Required value' });
    }
    for (const [key, item] of Object.entries(value)) {
      if (path === '' && ROOT_FIELDS.has(key)) continue;
      const sub = properties[key] ?? (isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (isRecord(sub)) validateCustom(sub, item, path ? `${path}.${key}` : key, causes);
    }
  }
  return causes;
}

const patterns = new Map<string, RegExp | undefined>();

/** The schema's ECMA-262-compatible patterns; one JavaScript cannot compile is not checked. */
function safeRegExp(pattern: string): RegExp | undefined {
  if (!patterns.has(pattern)) {
    try {
      patterns.set(pattern, new RegExp(pattern, 'u'));
    } catch {
      patterns.set(pattern, undefined);
    }
  }
  return patterns.get(pattern);
}

/** The schema of one served version of a CRD object. */
export function crdSchema(crd: Record<string, unknown> | undefined, version: string): Schema | undefined {
  const spec = isRecord(crd?.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isRecord) : [];
  const schema = versions.find((v) => v.name === version)?.schema;
  return isRecord(schema) && isRecord(schema.openAPIV3Schema) ? schema.openAPIV3Schema : undefined;
}
