// Reads a checklist (template or PRODUCT.yaml) the way the CNCF validator's Go decoder does:
// metadata is a free mapping, spec maps category -> list of requirement entries, and a value of
// the wrong shape (e.g. `evidence: "N/A"` where a list is expected) is a load error that fails
// the file. Every value keeps its 1-based line so messages can point at it.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { UsageError } from '../errors.js';

export interface Located<T> {
  value: T;
  line: number;
}

export interface ChecklistEntry {
  id: string;
  level: string;
  status: string;
  notes: string;
  evidence: Located<string>[];
  /** Line of the entry's first key (the `- id:` line in the usual layout). */
  line: number;
}

export interface ChecklistCategory {
  entries: ChecklistEntry[];
  line: number;
}

/** A metadata value: undefined when the key is absent, null when it has no value. */
export interface MetadataValue {
  kind: 'string' | 'null' | 'other';
  text: string;
  line: number;
}

export interface DecodedChecklist {
  metadata?: { fields: Map<string, MetadataValue>; line: number };
  spec?: { categories: Map<string, ChecklistCategory>; line: number };
  /** Shape mismatches the Go decoder reports as "cannot unmarshal"; any one fails the file. */
  loadErrors: Located<string>[];
}

/** A YAML syntax error, with the line it is on; the command turns it into exit 2. */
export class MalformedYamlError extends UsageError {}

export function parseYaml(text: string, source: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const error = doc.errors.at(0);
  if (error) {
    const line = error.linePos?.[0]?.line;
    const what = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
    throw new MalformedYamlError(`${source}${line ? `:${line}` : ''}: malformed YAML: ${what}`);
  }
  return { doc, lines };
}

function kindOf(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node))
    return typeof node.value === 'string' ? `a string (${JSON.stringify(node.value)})` : `a ${typeof node.value} (${String(node.value)})`;
  return 'an unknown node';
}

/** The text Go's decoder would store in a string field: the scalar as written, "" for null. */
function scalarText(node: unknown): string | undefined {
  if (node === null || node === undefined) return '';
  if (!isScalar(node)) return undefined;
  if (node.value === null || node.value === undefined) return '';
  const value: unknown = node.value;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return node.source ?? String(value);
  return node.source ?? '';
}

export function decodeChecklist(text: string, source: string): DecodedChecklist {
  const { doc, lines } = parseYaml(text, source);
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lines.linePos(range[0]).line : fallback;
  };
  const deref = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const result: DecodedChecklist = { loadErrors: [] };
  const loadError = (node: unknown, message: string, fallbackLine = 1): void => {
    result.loadErrors.push({ value: message, line: lineOf(node, fallbackLine) });
  };

  const root = deref(doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) return result;
  if (!isMap(root)) {
    loadError(root, `the document must be a mapping, not ${kindOf(root)}`);
    return result;
  }
  for (const pair of root.items) {
    const key = scalarText(deref(pair.key));
    const value = deref(pair.value);
    const keyLine = lineOf(pair.key);
    if (key === 'metadata') {
      if (value === null || (isScalar(value) && value.value === null)) continue;
      if (!isMap(value)) {
        loadError(value, `metadata must be a mapping, not ${kindOf(value)}`, keyLine);
        continue;
      }
      const fields = new Map<string, MetadataValue>();
      for (const field of value.items) {
        const name = scalarText(deref(field.key));
        if (name === undefined) continue;
        const v = deref(field.value);
        const line = lineOf(field.value, lineOf(field.key));
        if (v === null || (isScalar(v) && (v.value === null || v.value === undefined))) fields.set(name, { kind: 'null', text: '', line });
        else if (isScalar(v) && typeof v.value === 'string') fields.set(name, { kind: 'string', text: v.value, line });
        else fields.set(name, { kind: 'other', text: kindOf(v), line });
      }
      result.metadata = { fields, line: keyLine };
    } else if (key === 'spec') {
      if (value === null || (isScalar(value) && value.value === null)) continue;
      if (!isMap(value)) {
        loadError(value, `spec must be a mapping of categories, not ${kindOf(value)}`, keyLine);
        continue;
      }
      const categories = new Map<string, ChecklistCategory>();
      for (const categoryPair of value.items) {
        const name = scalarText(deref(categoryPair.key));
        if (name === undefined) continue;
        const list = deref(categoryPair.value);
        const category: ChecklistCategory = { entries: [], line: lineOf(categoryPair.key) };
        categories.set(name, category);
        if (list === null || (isScalar(list) && list.value === null)) continue;
        if (!isSeq(list)) {
          loadError(list, `spec.${name} must be a list of requirements, not ${kindOf(list)}`, category.line);
          continue;
        }
        for (const item of list.items) category.entries.push(decodeEntry(deref(item), `spec.${name}`));
      }
      result.spec = { categories, line: keyLine };
    }
  }
  return result;

  function decodeEntry(node: unknown, where: string): ChecklistEntry {
    const entry: ChecklistEntry = { id: '', level: '', status: '', notes: '', evidence: [], line: lineOf(node) };
    if (node === null || (isScalar(node) && node.value === null)) return entry;
    if (!isMap(node)) {
      loadError(node, `${where}: a requirement must be a mapping, not ${kindOf(node)}`);
      return entry;
    }
    const firstKey = node.items[0]?.key;
    if (firstKey) entry.line = lineOf(firstKey);
    const fields = new Map<string, unknown>();
    for (const pair of node.items) {
      const name = scalarText(deref(pair.key));
      if (name !== undefined) fields.set(name, pair.value);
    }
    const idText = scalarText(deref(fields.get('id')));
    entry.id = idText ?? '';
    const label = entry.id ? `${where}[${entry.id}]` : where;
    for (const field of ['id', 'description', 'level', 'status', 'notes'] as const) {
      const raw = deref(fields.get(field));
      const text = scalarText(raw);
      if (text === undefined) {
        loadError(raw, `${label}.${field} must be a string, not ${kindOf(raw)}`);
        continue;
      }
      if (field === 'level') entry.level = text;
      else if (field === 'status') entry.status = text;
      else if (field === 'notes') entry.notes = text;
    }
    const evidence = deref(fields.get('evidence'));
    if (evidence === null || evidence === undefined || (isScalar(evidence) && evidence.value === null)) return entry;
    if (!isSeq(evidence)) {
      loadError(evidence, `${label}.evidence must be a list, not ${kindOf(evidence)}`);
      return entry;
    }
    for (const item of evidence.items) {
      const resolved = deref(item);
      const text = scalarText(resolved);
      if (text === undefined) loadError(resolved, `${label}.evidence items must be strings, not ${kindOf(resolved)}`);
      else entry.evidence.push({ value: text, line: lineOf(resolved, lineOf(evidence)) });
    }
    return entry;
  }
}
