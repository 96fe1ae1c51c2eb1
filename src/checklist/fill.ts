// Fills a CNCF checklist (PRODUCT.yaml) from a run's results. The starting text is, in order:
// --product (the vendor's own file, of the same Kubernetes version unless --migrate-product),
// --template (path or https URL), or the official template of the version bundled with the tool.
// Only the values we fill change; every other byte of the starting text is kept (see edit.ts),
// except that every entry we fill carries the official id, description and level verbatim.

import { readFile } from 'node:fs/promises';
import { isMap, isSeq, parse as parseYamlValue, type YAMLMap } from 'yaml';
import { UsageError } from '../errors.js';
import type { RequirementResult, RunResults } from '../model/results.js';
import { parseKubernetesVersion, requirementsFor, type KubernetesVersion, type Requirement } from '../requirements/catalog.js';
import { parseYaml } from './decode.js';
import { Editor, renderScalar } from './edit.js';
import { replacedProbeSentence, replacedProbes } from '../report/format.js';
import { officialTemplate } from './templates.js';
import { snakeCase } from './validate.js';

export interface ChecklistInput {
  results: RunResults;
  /** Path or https URL of a template. */
  template?: string;
  /** An existing PRODUCT.yaml to update (keeps metadata, comments, manual entries). */
  product?: string;
  /** Move a --product of another Kubernetes version onto this version's official template. */
  migrateProduct?: boolean;
  /** The --template URL's content, when the front door already fetched it. */
  templateText?: string;
  /** From flags/inputs, camelCase field names. */
  metadata?: Record<string, string>;
  /** YAML/JSON file with metadata fields. */
  metadataFile?: string;
  /** Evidence for each probed entry, e.g. ['junit.xml#TestX', 'evidence/x.md']; a function gets the requirement. */
  evidence: string[] | ((requirement: RequirementResult) => string[]);
  /** True: never touch the network. */
  offline: boolean;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Limit for fetching a template (default 10 s). */
  timeoutMs?: number;
}

export interface RenderedChecklist {
  text: string;
  source: string;
  /** What --migrate-product changed, one line each (empty without a migration). */
  migration: string[];
}

async function readLocal(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`);
  }
}

async function download(url: string, fetchFn: typeof fetch, timeoutMs: number): Promise<string> {
  const response = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

/** What --template names: an https URL or a local file; any other scheme, or a URL offline, is a usage error. */
function templateSource(template: string, offline: boolean): { url: string } | { file: string } {
  if (/^https:\/\//i.test(template)) {
    if (offline) throw new UsageError(`--template ${template} is a URL but --offline was given`);
    return { url: template };
  }
  if (/^[a-z]+:\/\//i.test(template)) throw new UsageError(`--template must be a file path or an https URL, not ${template}`);
  return { file: template };
}

/** The Kubernetes minor version a checklist declares (metadata.kubernetesVersion), as written. */
export function declaredVersion(text: string): string | undefined {
  let data: unknown;
  try {
    data = parseYamlValue(text);
  } catch {
    return undefined;
  }
  const metadata = (data as { metadata?: Record<string, unknown> } | null)?.metadata;
  const value = metadata?.kubernetesVersion ?? metadata?.kubernetes_version;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * A --product must be a checklist of the version the run checks: requirements differ between
 * versions, and a stale file would be submitted under the wrong template. Without
 * --migrate-product, another version is a usage error (one line, exit 2).
 */
export function checkProductVersion(
  file: string,
  text: string,
  version: KubernetesVersion,
  migrate: boolean,
): KubernetesVersion | undefined {
  const declared = declaredVersion(text);
  if (declared === undefined) return undefined;
  const minor = /^v?(\d+\.\d+)/.exec(declared)?.[1];
  if (minor === version) return undefined;
  const known = parseKubernetesVersion(declared);
  if (!migrate) {
    throw new UsageError(
      `--product ${file} is a checklist for Kubernetes ${declared}, but this run checks ${version}; pass --migrate-product to move its metadata and notes onto the official ${version} template`,
    );
  }
  if (!known) throw new UsageError(`--product ${file}: cannot migrate from Kubernetes ${declared}: the tool has no template for it`);
  return known;
}

/** Copies a checklist's metadata and entries onto the official template of `to`, saying what changed. */
function migrate(text: string, source: string, from: KubernetesVersion, to: KubernetesVersion): { text: string; migration: string[] } {
  const target = officialTemplate(to);
  const { doc } = parseYaml(target, `the official ${to} template`);
  const old = parseYamlValue(text) as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | null;
  const root = doc.contents as YAMLMap;
  const editor = new Editor(target);
  const metaNode = root.get('metadata', true) as unknown as YAMLMap;
  for (const [field, value] of Object.entries(old?.metadata ?? {})) {
    if (field === 'kubernetesVersion' || field === 'kubernetes_version' || typeof value !== 'string') continue;
    editor.setString(metaNode, field, value);
  }
  const oldEntries = new Map<string, Record<string, unknown>>();
  for (const list of Object.values(old?.spec ?? {})) {
    if (!Array.isArray(list)) continue;
    for (const entry of list as Array<Record<string, unknown> | null>)
      if (entry && typeof entry.id === 'string') oldEntries.set(entry.id, entry);
  }
  const before = new Map(requirementsFor(from).map((r) => [r.id, r]));
  const after = requirementsFor(to);
  const migration: string[] = [
    `${source}: migrated from Kubernetes ${from} to the official ${to} template; metadata, statuses, evidence and notes kept`,
  ];
  const spec = root.get('spec', true) as unknown as YAMLMap;
  for (const r of after) {
    const previous = before.get(r.id);
    if (!previous) migration.push(`added ${r.id} (${r.level}): new in ${to}, fill it in`);
    else if (previous.level !== r.level) migration.push(`${r.id} is now ${r.level} (was ${previous.level} in ${from})`);
    if (previous && previous.description !== r.description) migration.push(`${r.id}: the official description changed in ${to}`);
    const entry = oldEntries.get(r.id);
    const category = spec.get(r.category, true);
    const node = isSeq(category) ? category.items.find((item) => isMap(item) && item.get('id') === r.id) : undefined;
    if (!entry || !isMap(node)) continue;
    if (typeof entry.status === 'string') editor.setString(node, 'status', entry.status);
    if (typeof entry.notes === 'string') editor.setString(node, 'notes', entry.notes);
    const evidence = Array.isArray(entry.evidence) ? entry.evidence.filter((e): e is string => typeof e === 'string' && e !== '') : [];
    if (evidence.length > 0) editor.setList(node, 'evidence', evidence);
  }
  for (const r of requirementsFor(from))
    if (!after.some((a) => a.id === r.id)) migration.push(`removed ${r.id}: not a requirement of ${to}`);
  return { text: editor.result(), migration };
}

async function startingText(input: ChecklistInput): Promise<{ text: string; source: string; migration: string[] }> {
  const version = input.results.kubernetesVersion;
  const fetchFn = input.fetch ?? fetch;
  const timeoutMs = input.timeoutMs ?? 10_000;
  if (input.product) {
    const text = await readLocal(input.product, 'product');
    const from = checkProductVersion(input.product, text, version, input.migrateProduct === true);
    if (!from) return { text, source: input.product, migration: [] };
    return { ...migrate(text, input.product, from, version), source: input.product };
  }
  if (input.template) {
    const source = templateSource(input.template, input.offline);
    if ('url' in source && input.templateText !== undefined) return { text: input.templateText, source: source.url, migration: [] };
    if ('file' in source) return { text: await readLocal(source.file, 'template'), source: source.file, migration: [] };
    try {
      return { text: await download(source.url, fetchFn, timeoutMs), source: source.url, migration: [] };
    } catch (error) {
      throw new UsageError(
        `cannot download template ${source.url}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    }
  }
  return { text: officialTemplate(version), source: `the official AIConformance-${version}.yaml (bundled)`, migration: [] };
}

/**
 * Reads and parses the local checklist inputs (--product, a --template path, --metadata file)
 * and checks a --template URL's form, so that a bad one stops a run before it probes anything
 * rather than after. Downloads are left to the render.
 */
export async function checkChecklistInputs(
  input: Pick<ChecklistInput, 'product' | 'template' | 'metadataFile' | 'offline' | 'fetch' | 'timeoutMs'>,
): Promise<{ templateText?: string }> {
  // --product wins over --template (startingText), so a template is only judged without one.
  const template = input.template && !input.product ? templateSource(input.template, input.offline) : undefined;
  const checkMapping = (text: string, source: string) => {
    const { doc } = parseYaml(text, source);
    if (!isMap(doc.contents)) throw new UsageError(`${source}: not a checklist (the document is not a mapping)`);
  };
  for (const [file, what] of [
    [input.product, 'product'],
    [template && 'file' in template ? template.file : undefined, 'template'],
  ] as const) {
    if (file) checkMapping(await readLocal(file, what), file);
  }
  if (input.metadataFile) await metadataFromFile(input.metadataFile);
  if (!template || !('url' in template)) return {};
  // Fetched now, not after the run: an unreachable template must not cost a whole run. The render uses this text.
  let templateText: string;
  try {
    templateText = await download(template.url, input.fetch ?? fetch, input.timeoutMs ?? 10_000);
  } catch (error) {
    throw new UsageError(
      `cannot download template ${template.url}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  checkMapping(templateText, template.url);
  return { templateText };
}

/** checkProductVersion for a --product file, before probing (exit 2 rather than a wasted run). */
export async function checkProductFor(
  input: Pick<ChecklistInput, 'product' | 'migrateProduct'>,
  version: KubernetesVersion,
): Promise<void> {
  if (!input.product) return;
  checkProductVersion(input.product, await readLocal(input.product, 'product'), version, input.migrateProduct === true);
}

async function metadataFromFile(file: string): Promise<Record<string, string>> {
  const text = await readLocal(file, 'metadata file');
  let data: unknown;
  try {
    data = parseYamlValue(text);
  } catch (error) {
    throw new UsageError(
      `metadata file ${file}: malformed YAML/JSON: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  // Accept either the fields themselves or a PRODUCT.yaml-like { metadata: {...} }.
  const root = data !== null && typeof data === 'object' && 'metadata' in data ? data.metadata : data;
  if (root === null || typeof root !== 'object' || Array.isArray(root))
    throw new UsageError(`metadata file ${file}: must be a mapping of field: value`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new UsageError(`metadata file ${file}: ${key} must be a string (quote it)`);
    out[key] = value;
  }
  return out;
}

function oneLineText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * When notes may be written: 'always'; 'empty' (only into blank notes); 'ours' (only over notes
 * an earlier fill wrote); 'empty-or-ours'. A vendor's own notes are never overwritten by a verdict
 * that has nothing to explain.
 */
type NotesMode = 'always' | 'empty' | 'ours' | 'empty-or-ours';

interface EntryUpdate {
  status?: string;
  notes?: string;
  notesMode?: NotesMode;
  evidence?: string[];
}

/** One sentence saying what a passed requirement's checks showed. */
export function passedNote(r: RequirementResult, tool: string): string {
  const names = r.checks.filter((c) => c.verdict === 'passed').map((c) => c.name);
  const shown = names.length === 0 ? r.reason : `${names.length} check(s) passed (${names.join(', ')})`;
  return oneLineText(`${tool}: ${shown}; see evidence/${r.id}.md.`);
}

/** Status, notes and evidence to write for one result; undefined = leave the entry alone. */
function entryUpdate(r: RequirementResult, evidence: string[], tool: string): EntryUpdate | undefined {
  switch (r.verdict) {
    case 'passed':
      // What was shown, in one sentence; a vendor's own notes stay.
      return { status: 'Implemented', notes: passedNote(r, tool), notesMode: 'empty-or-ours', evidence };
    case 'failed': {
      const partial = r.checks.some((c) => c.verdict === 'passed') && r.checks.some((c) => c.verdict === 'failed');
      return {
        status: partial ? 'Partially Implemented' : 'Not Implemented',
        notes: oneLineText(`${tool}: ${r.reason}`),
        notesMode: 'empty-or-ours',
        evidence,
      };
    }
    case 'not-applicable':
      return {
        status: 'N/A',
        notes: oneLineText(r.notes || r.reason) || 'Not applicable to this platform.',
        notesMode: 'always',
        evidence,
      };
    case 'error':
      return { notes: oneLineText(`${tool} could not decide: ${r.reason}`), notesMode: 'empty' };
    case 'manual':
      return { notes: oneLineText(`Needs manual attestation: ${r.reason}`), notesMode: 'empty' };
    case 'skipped':
      return undefined;
  }
}

/** Notes this tool wrote (any version): "<name> <version>: …" or "<name> <version> could not decide: …". */
export function isToolNote(notes: string, toolName: string): boolean {
  const name = toolName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${name} \\S+(?: could not decide)?: `).test(notes);
}

function mayWriteNotes(mode: NotesMode, current: unknown, toolName: string): boolean {
  const empty = current === null || current === undefined || current === '';
  const ours = typeof current === 'string' && isToolNote(current, toolName);
  switch (mode) {
    case 'always':
      return true;
    case 'empty':
      return empty;
    case 'ours':
      return ours;
    case 'empty-or-ours':
      return empty || ours;
  }
}

/** The first lines of a checklist written from a simulated run: a reviewer sees it at once. */
export const SIMULATED_CHECKLIST_BANNER = [
  '# SIMULATED: these results come from a simulated cluster (the fake API server, or kind with a',
  '# fake accelerator driver). They certify nothing; the test artifacts beside this file carry a',
  '# failing TestRealCluster test so that the CNCF validator rejects them. Do not submit.',
];

export async function renderChecklist(input: ChecklistInput): Promise<RenderedChecklist> {
  const { text, source, migration } = await startingText(input);
  const { doc } = parseYaml(text, source);
  const root = doc.contents;
  if (!isMap(root)) throw new UsageError(`${source}: not a checklist (the document is not a mapping)`);
  const editor = new Editor(text);
  const results = input.results;
  const tool = `${results.tool.name} ${results.tool.version}`;

  // Metadata: the version we checked (unless the file already names that minor version), then
  // the metadata file's fields, then the flags' fields.
  const given = { ...(input.metadataFile ? await metadataFromFile(input.metadataFile) : {}), ...(input.metadata ?? {}) };
  const metaNode = root.get('metadata', true);
  const existingVersion = isMap(metaNode) ? (metaNode.get('kubernetesVersion') ?? metaNode.get('kubernetes_version')) : undefined;
  const keepVersion = typeof existingVersion === 'string' && parseKubernetesVersion(existingVersion) === results.kubernetesVersion;
  const metadata: Record<string, string> =
    keepVersion || Object.hasOwn(given, 'kubernetesVersion') ? given : { kubernetesVersion: `v${results.kubernetesVersion}`, ...given };
  if (isMap(metaNode)) {
    for (const [field, value] of Object.entries(metadata)) {
      const snake = snakeCase(field);
      const key = metaNode.has(field) || !metaNode.has(snake) ? field : snake;
      editor.setString(metaNode, key, value);
    }
  } else {
    if (root.has('metadata')) throw new UsageError(`${source}: metadata is not a mapping of fields`);
    const lines = Object.entries(metadata).map(([k, v]) => `  ${k}: ${renderScalar(v)}`);
    const firstKey = root.items[0]?.key as { range?: [number, number, number] } | undefined;
    const at = firstKey?.range?.[0] ?? 0;
    editor.edits.push({ start: at, end: at, text: `metadata:\n${lines.join('\n')}\n` });
  }

  // Spec: one entry per result, matched by category and id.
  const spec = root.get('spec', true);
  const official = new Map<string, Requirement>(requirementsFor(results.kubernetesVersion).map((r) => [r.id, r]));
  const evidenceOf = (r: RequirementResult): string[] => (typeof input.evidence === 'function' ? input.evidence(r) : input.evidence);
  const added = new Map<string, string[][]>();
  for (const r of results.requirements) {
    // Proposed requirements are not in any CNCF template; the submission must not carry them.
    if (r.proposed) continue;
    const update = entryUpdate(r, evidenceOf(r), tool);
    const wording = official.get(r.id);
    if (!update) continue;
    const category = isMap(spec) ? spec.get(r.category, true) : undefined;
    const entry = isSeq(category) ? category.items.find((item) => isMap(item) && item.get('id') === r.id) : undefined;
    if (!isMap(entry)) {
      const lines = [
        `id: ${r.id}`,
        `description: ${JSON.stringify(wording?.description ?? r.summary)}`,
        `level: ${wording?.level ?? r.level}`,
        `status: ${JSON.stringify(update.status ?? '')}`,
        `evidence: [${(update.evidence ?? []).map((e) => JSON.stringify(e)).join(', ')}]`,
        `notes: ${JSON.stringify(update.notes ?? '')}`,
      ];
      added.set(r.category, [...(added.get(r.category) ?? []), lines]);
      continue;
    }
    const map = entry;
    if (update.status !== undefined) editor.setString(map, 'status', update.status);
    if (update.notes !== undefined && mayWriteNotes(update.notesMode ?? 'always', map.get('notes'), results.tool.name))
      editor.setString(map, 'notes', update.notes);
    // A scalar evidence value (which the CNCF validator cannot load) becomes a list here.
    if (update.evidence && update.evidence.length > 0) editor.setList(map, 'evidence', update.evidence);
    // The official wording, always: a vendor's edited or missing description and level are restored
    // (after the other edits: an insertion at the same offset keeps their order).
    if (wording) {
      if (map.get('description') !== wording.description) editor.setString(map, 'description', wording.description);
      if (map.get('level') !== wording.level) editor.setString(map, 'level', wording.level);
    }
  }
  // Entries the checklist lacks: appended to their category's list, or in a new category.
  for (const [category, items] of added) {
    if (!isMap(spec) || spec.flow) throw new UsageError(`${source}: cannot add ${category} requirements: spec is not a block mapping`);
    if (editor.appendItems(spec, category, items)) continue;
    if (spec.has(category)) throw new UsageError(`${source}: cannot add to spec.${category}: it is not a block list of requirements`);
    const body = items.flatMap((lines) => lines.map((l, i) => `${i === 0 ? '  - ' : '    '}${l}`));
    if (!editor.addKey(spec, [`${category}:`, ...body].join('\n')))
      throw new UsageError(`${source}: cannot add spec.${category}: spec has no entries to extend`);
  }
  if (results.cluster.simulated) editor.edits.push({ start: 0, end: 0, text: `${SIMULATED_CHECKLIST_BANNER.join('\n')}\n` });
  // A built-in requirement checked by a --replace-builtin module: said at the top, where a reviewer looks first.
  for (const replaced of replacedProbes(results)) {
    editor.edits.push({ start: 0, end: 0, text: `# BUILT-IN PROBE REPLACED: ${oneLineText(replacedProbeSentence(replaced))}\n` });
  }
  const filled = editor.result();
  // Edits are textual; a shape they did not foresee must not reach disk as a corrupt checklist.
  try {
    parseYaml(filled, source);
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^.*?: malformed YAML: /, '') : String(error);
    throw new UsageError(`${source}: filling it would produce invalid YAML (${why}); it was not written, fill the entries by hand`);
  }
  return { text: filled, source, migration };
}
