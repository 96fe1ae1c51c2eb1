// Surgical edits of a checklist's text: the yaml Document API finds the nodes, and only the
// bytes of the values we change are rewritten, so everything else (key order, comments,
// quoting, line folding, indentation) stays exactly as the vendor wrote it.

import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { UsageError } from '../errors.js';

export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits; insertions at the same offset keep the order they were made in. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = edits.map((edit, index) => ({ edit, index })).sort((a, b) => b.edit.start - a.edit.start || b.index - a.index);
  let out = text;
  for (const { edit } of sorted) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

const PLAIN_CHARS = /^[A-Za-z0-9_./][A-Za-z0-9 _./()+@,:~-]*$/;

function plainSafe(value: string): boolean {
  return PLAIN_CHARS.test(value) && !value.includes(': ') && !value.includes(' #') && !value.endsWith(':');
}

/** A YAML scalar for `value`, in the style of the scalar it replaces where that is safe. */
export function renderScalar(value: string, style?: string): string {
  if (style === 'QUOTE_SINGLE' && !value.includes('\n')) return `'${value.replaceAll("'", "''")}'`;
  const ambiguous = /^(true|false|null|yes|no|on|off|~|[-+]?[0-9][0-9_.eE+-]*)$/i.test(value) || value.endsWith(' ');
  if (style === 'PLAIN' && value !== '' && plainSafe(value) && !ambiguous) return value;
  return JSON.stringify(value);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end;
}

export function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}

/** Collects edits against `text`; the nodes passed in must come from parsing that same text. */
export class Editor {
  readonly edits: TextEdit[] = [];
  constructor(readonly text: string) {}

  /** Sets `key` in `map` to a string, keeping the old scalar's quoting and trailing comment. */
  setString(map: YAMLMap, key: string, value: string): void {
    const pair = pairOf(map, key);
    if (!pair) {
      this.addOrFail(map, `${key}: ${renderScalar(value)}`);
      return;
    }
    const node = pair.value as Node | null;
    if (isScalar(node) && typeof node.value === 'string' && node.value === value) return;
    if (isScalar(node) && node.range) {
      const style = node.value === null ? undefined : node.type;
      const block = style === 'BLOCK_FOLDED' || style === 'BLOCK_LITERAL';
      const rendered = renderScalar(value, block ? undefined : style);
      if (node.value === null && node.range[0] === node.range[1]) this.insertValue(node.range[0], rendered);
      // A block scalar's range runs through its last line break; keep that break, or the next
      // key would be joined onto our line.
      else
        this.edits.push({
          start: node.range[0],
          end: block ? this.contentEnd(node.range[0], node.range[1]) : node.range[1],
          text: rendered,
        });
      return;
    }
    this.replaceValue(pair, ` ${renderScalar(value)}`);
  }

  /** Sets `key` in `map` to a list of strings: appended to a block list, else written as a flow list. */
  setList(map: YAMLMap, key: string, values: string[]): void {
    const pair = pairOf(map, key);
    if (!pair) {
      this.addOrFail(map, `${key}: [${values.map((v) => JSON.stringify(v)).join(', ')}]`);
      return;
    }
    const node = pair.value as Node | null;
    if (isSeq(node) && !node.flow && node.items.length > 0 && node.range) {
      const existing = node.items.map((i) => (isScalar(i) ? String(i.value) : undefined));
      const added = values.filter((v) => !existing.includes(v));
      if (added.length === 0) return;
      const first = node.items[0] as Node;
      const last = node.items[node.items.length - 1] as Node;
      if (!first.range || !last.range) return;
      const dash = this.text.lastIndexOf('-', first.range[0]);
      const indent = ' '.repeat(columnOf(this.text, dash));
      const quoted = isScalar(first) && first.type === 'QUOTE_DOUBLE';
      const at = lineEnd(this.text, last.range[1] > 0 ? last.range[1] - 1 : 0);
      const lines = added.map((v) => `\n${indent}- ${quoted ? JSON.stringify(v) : renderScalar(v, 'PLAIN')}`).join('');
      this.edits.push({ start: at, end: at, text: lines });
      return;
    }
    const existing = isSeq(node)
      ? node.items.flatMap((i) => (isScalar(i) && typeof i.value === 'string' && i.value !== '' ? [i.value] : []))
      : [];
    const merged = [...existing, ...values.filter((v) => !existing.includes(v))];
    const flow = `[${merged.map((v) => JSON.stringify(v)).join(', ')}]`;
    if (isScalar(node) && node.value === null && node.range && node.range[0] === node.range[1]) {
      this.insertValue(node.range[0], flow);
    } else this.replaceValue(pair, node?.range ? flow : ` ${flow}`);
  }

  private addOrFail(map: YAMLMap, line: string): void {
    if (!this.addKey(map, line))
      throw new UsageError(`cannot add '${line.split(':')[0]}' at line ${this.lineOf(map)}: only non-empty block mappings can be extended`);
  }

  /**
   * Writes a value where an empty one was. The empty value's offset can be a comment's `#`
   * (`status:   # Implemented, …`); YAML needs a space between a value and its comment.
   */
  private insertValue(at: number, rendered: string): void {
    const before = /[ \t]/.test(this.text[at - 1] ?? '') ? '' : ' ';
    const after = this.text[at] === '#' ? ' ' : '';
    this.edits.push({ start: at, end: at, text: `${before}${rendered}${after}` });
  }

  /** End of a block scalar's last non-blank character, never before its header indicator. */
  private contentEnd(start: number, end: number): number {
    let at = end;
    while (at > start + 1 && /\s/.test(this.text[at - 1] ?? '')) at -= 1;
    return at;
  }

  private lineOf(node: Node): number {
    return node.range ? this.text.slice(0, node.range[0]).split('\n').length : 1;
  }

  private replaceValue(pair: Pair, rendered: string): void {
    const node = pair.value as Node | null;
    if (node?.range) {
      this.edits.push({ start: node.range[0], end: node.range[1], text: rendered.trimStart() });
      return;
    }
    const keyNode = pair.key as Node;
    if (!keyNode.range) return;
    const colon = this.text.indexOf(':', keyNode.range[1]);
    this.edits.push({ start: colon + 1, end: colon + 1, text: rendered });
  }

  /** Adds `line` as a new last key of a block mapping, at the mapping's indentation. */
  addKey(map: YAMLMap, line: string): boolean {
    const first = map.items[0]?.key as Node | undefined;
    const last = map.items.at(-1);
    if (!first?.range || !last || map.flow) return false;
    const indent = ' '.repeat(columnOf(this.text, first.range[0]));
    const lastNode = (last.value ?? last.key) as Node;
    const end = lastNode.range ? lastNode.range[1] : first.range[1];
    const at = lineEnd(this.text, Math.max(end - 1, 0));
    this.edits.push({ start: at, end: at, text: `\n${indent}${line.replaceAll('\n', `\n${indent}`)}` });
    return true;
  }

  /** Appends block-list items (each given as `key: value` lines) to the block list under `key`. */
  appendItems(seqOwner: YAMLMap, key: string, items: string[][]): boolean {
    const pair = pairOf(seqOwner, key);
    const seq = pair?.value;
    if (!isSeq(seq) || seq.flow || seq.items.length === 0) return false;
    const first = seq.items[0] as Node;
    const last = seq.items[seq.items.length - 1] as Node;
    if (!first.range || !last.range || !isMap(first)) return false;
    const dash = this.text.lastIndexOf('-', first.range[0]);
    const dashIndent = ' '.repeat(columnOf(this.text, dash));
    const keyIndent = ' '.repeat(columnOf(this.text, first.range[0]));
    const at = lineEnd(this.text, Math.max(last.range[1] - 1, 0));
    const body = items.flatMap((lines) => lines.map((l, i) => (i === 0 ? `\n${dashIndent}- ${l}` : `\n${keyIndent}${l}`))).join('');
    this.edits.push({ start: at, end: at, text: body });
    return true;
  }

  result(): string {
    return applyEdits(this.text, this.edits);
  }
}
