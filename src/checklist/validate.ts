// `validate`: checks a PRODUCT.yaml with every rule of the CNCF AI-conformance validator
// (cncf/k8s-ai-conformance scripts/validate.go as of September 2026, described in
// ../shared/fixtures/checklists/VALIDATION.md): metadata, spec, statuses (N/A on a MUST only for
// cluster_autoscaling, with a warning), and every local evidence file resolved (file://,
// #fragment, the product's own vX.Y/<dir>/ prefix, no escaping the folder) and, for junit.xml,
// results.json and e2e.log, parsed as test output: no failing test, the cited or mapped test
// present and not skipped on an Implemented entry. From v1.37 a mapped requirement without an
// artifact gets the hybrid-verification warning. Offline, nothing touches the network: URL
// reachability and the landscape vendor check are reported as notes, not violations.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { UsageError } from '../errors.js';
import { KUBERNETES_VERSIONS, parseKubernetesVersion, VALIDATOR_MAPPED_TESTS, type KubernetesVersion } from '../requirements/catalog.js';
import { ArtifactError, artifactKind, failingTests, parseArtifact, testOutcome, type ParsedArtifact } from './artifacts.js';
import { decodeChecklist, type ChecklistEntry, type DecodedChecklist } from './decode.js';
import { checkUrl, DEFAULT_URL_CONCURRENCY, mapLimited, USER_AGENT, type FetchFn } from './http.js';
import { officialTemplate } from './templates.js';

export type ViolationRule =
  | 'load'
  | 'metadata-section'
  | 'metadata-missing'
  | 'metadata-not-string'
  | 'metadata-empty'
  | 'metadata-placeholder'
  | 'conformance-url-format'
  | 'metadata-url-unreachable'
  | 'vendor-not-member'
  | 'spec-section'
  | 'category-missing'
  | 'requirement-missing'
  | 'status-invalid'
  | 'must-not-implemented'
  | 'na-without-notes'
  | 'evidence-file-missing'
  | 'evidence-path-invalid'
  | 'evidence-other-product'
  | 'evidence-escapes'
  | 'artifact-unreadable'
  | 'artifact-failing-tests'
  | 'artifact-test-missing'
  | 'artifact-test-failed'
  | 'artifact-test-skipped'
  | 'evidence-url-unreachable';

export type WarningRule = 'must-not-applicable' | 'hybrid-no-artifact' | 'landscape-unreachable';

export interface Violation {
  rule: ViolationRule;
  /** The metadata field, category or requirement id the violation is about. */
  subject: string;
  /** One line, without the file and subject. */
  message: string;
  /** 1-based line in the product file. */
  line: number;
}

export interface ValidateOptions {
  kubernetesVersion?: string;
  offline: boolean;
  /** A directory holding AIConformance-<X.Y>.yaml; default: the official templates bundled with the tool. */
  templatesDir?: string;
  fetch?: typeof fetch;
  /** Per-request limit for URL checks (default 30 s, as the CNCF validator). */
  timeoutMs?: number;
  /** URL checks in flight at once (default 8). */
  concurrency?: number;
  /** Where the CNCF landscape is read from (the vendor check). */
  landscapeUrl?: string;
}

export interface ValidationWarning {
  rule: WarningRule;
  subject: string;
  message: string;
  line: number;
}

export interface ValidationResult {
  violations: Violation[];
  /** What the validator prints as `::warning file=…::` annotations; they do not fail the file. */
  warnings: ValidationWarning[];
  /** Set when an artifact carries the simulation marker (a failed TestRealCluster): its message. */
  simulated?: string;
  /** What was not checked and why (offline), one line each. */
  notes: string[];
  kubernetesVersion: KubernetesVersion;
}

export const ALLOWED_STATUSES = ['Implemented', 'Not Implemented', 'Partially Implemented', 'N/A'] as const;
export const LANDSCAPE_URL = 'https://raw.githubusercontent.com/cncf/landscape/master/landscape.yml';
const CONFORMANCE_URL = /^https:\/\/github\.com\/cncf\/k8s-conformance\/tree\/(master|main)\/v\d+\.\d+\/[^/]+\/?$/;
const VERSION_IN_PATH = /(?:^|\/)(v\d+\.\d+)\//;
/** The test a simulated run adds and fails, so that the CNCF validator rejects its artifacts. */
export const SIMULATION_TEST = 'TestRealCluster';
/** The N/A on a MUST the validator accepts (its text starts "If the platform provides…"). */
const MUST_MAY_BE_NA = new Set(['cluster_autoscaling']);
const HYBRID_FROM: readonly [number, number] = [1, 37];

/** Metadata fields in the order we report them; false = optional. */
const METADATA_FIELDS: ReadonlyArray<[string, boolean]> = [
  ['kubernetesVersion', true],
  ['platformName', true],
  ['platformVersion', true],
  ['vendorName', true],
  ['websiteUrl', true],
  ['repoUrl', false],
  ['documentationUrl', true],
  ['productLogoUrl', true],
  ['description', true],
  ['contactEmailAddress', true],
  ['k8sConformanceUrl', true],
];

export function snakeCase(field: string): string {
  return field
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The version whose template applies: a vX.Y/ path segment, else the flag, else the metadata. */
export function versionFor(file: string, flag: string | undefined, decoded: DecodedChecklist): KubernetesVersion {
  const fromPath = VERSION_IN_PATH.exec(file.replaceAll('\\', '/'))?.[1];
  const meta = decoded.metadata?.fields.get('kubernetesVersion') ?? decoded.metadata?.fields.get('kubernetes_version');
  const candidates: Array<[string | undefined, string]> = [
    [fromPath, `the path segment ${fromPath}/`],
    [flag, '--kubernetes-version'],
    [meta?.kind === 'string' ? meta.text : undefined, 'metadata.kubernetesVersion'],
  ];
  for (const [value, where] of candidates) {
    if (value === undefined || value === '') continue;
    const version = parseKubernetesVersion(value);
    if (!version) throw new UsageError(`unknown Kubernetes version '${value}' (from ${where}); known: ${KUBERNETES_VERSIONS.join(', ')}`);
    return version;
  }
  throw new UsageError(
    `${file}: cannot tell the Kubernetes version: no vX.Y/ segment in the path, no --kubernetes-version, no metadata.kubernetesVersion`,
  );
}

async function templateText(version: KubernetesVersion, templatesDir: string | undefined): Promise<{ text: string; source: string }> {
  if (!templatesDir) return { text: officialTemplate(version), source: `built-in AIConformance-${version}.yaml` };
  const file = path.join(templatesDir, `AIConformance-${version}.yaml`);
  try {
    return { text: await readFile(file, 'utf8'), source: file };
  } catch {
    throw new UsageError(`template not found: ${file}`);
  }
}

async function readProduct(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : 'cannot be read';
    throw new UsageError(`${file}: ${why}`);
  }
}

async function fileMissing(file: string): Promise<boolean> {
  try {
    await stat(file);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

/** Why the landscape could not be read, in one line (a timeout, a refused connection, an HTTP status). */
function landscapeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as Error & { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${cause.message.split('\n')[0]}` : '';
  return `${error.message.split('\n')[0]}${detail}`;
}

/** Names of the CNCF members in the landscape, without the " (member)"/" (supporter)" suffix. */
export async function fetchCncfMembers(url: string, fetchFn: FetchFn, timeoutMs: number): Promise<Set<string>> {
  const response = await fetchFn(url, { headers: { 'User-Agent': USER_AGENT }, signal: AbortSignal.timeout(Math.max(timeoutMs, 60_000)) });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  const data: unknown = parseYamlValue(await response.text(), { maxAliasCount: -1 });
  const categories = (data as { landscape?: unknown } | null)?.landscape;
  const members = Array.isArray(categories)
    ? (categories as Array<{ name?: unknown; subcategories?: unknown } | null>).find((c) => c?.name === 'CNCF Members')
    : undefined;
  if (!members) throw new Error("no 'CNCF Members' category in the landscape");
  const names = new Set<string>();
  for (const sub of Array.isArray(members.subcategories) ? (members.subcategories as Array<{ items?: unknown } | null>) : []) {
    for (const item of Array.isArray(sub?.items) ? (sub.items as Array<{ name?: unknown } | null>) : []) {
      if (typeof item?.name !== 'string') continue;
      const name = item.name
        .replace(/ \(member\)$/, '')
        .replace(/ \(supporter\)$/, '')
        .trim();
      if (name !== '') names.add(name);
    }
  }
  return names;
}

interface UrlCheck {
  url: string;
  violation: (why: string) => Violation;
}

export async function validateProduct(file: string, opts: ValidateOptions): Promise<ValidationResult> {
  const text = await readProduct(file);
  const product = decodeChecklist(text, file);
  const version = versionFor(file, opts.kubernetesVersion, product);
  const template = await templateText(version, opts.templatesDir);
  const schema = decodeChecklist(template.text, template.source);
  if (schema.loadErrors.length > 0 || !schema.spec) throw new UsageError(`${template.source}: not a checklist template`);

  const notes: string[] = [];
  // The CNCF validator stops at a file it cannot load; so do we, listing every shape error.
  if (product.loadErrors.length > 0) {
    return {
      violations: product.loadErrors.map((e) => ({
        rule: 'load',
        subject: 'file',
        message: `${e.value} (the CNCF validator cannot load this file)`,
        line: e.line,
      })),
      warnings: [],
      notes,
      kubernetesVersion: version,
    };
  }

  const violations: Violation[] = [];
  const warnings: ValidationWarning[] = [];
  const urlChecks: UrlCheck[] = [];
  const fileChecks: Array<Promise<Violation[]>> = [];
  const artifacts = new ArtifactCache();
  const ownPrefix = productPrefix(file);
  const hybrid = versionAtLeast(version, HYBRID_FROM);

  if (!product.metadata) {
    violations.push({ rule: 'metadata-section', subject: 'metadata', message: "missing 'metadata' section", line: 1 });
  } else {
    const metadata = product.metadata;
    for (const [field, required] of METADATA_FIELDS) {
      const snake = snakeCase(field);
      const value = metadata.fields.get(field) ?? metadata.fields.get(snake);
      const v = (rule: ViolationRule, message: string, line = value?.line ?? metadata.line): Violation => ({
        rule,
        subject: field,
        message,
        line,
      });
      if (!value || value.kind === 'null') {
        if (required) violations.push(v('metadata-missing', `missing required metadata field ${field} (or ${snake})`));
        continue;
      }
      if (value.kind !== 'string') {
        violations.push(v('metadata-not-string', `must be a string, not ${value.text}`));
        continue;
      }
      const s = value.text;
      if (s === '') {
        if (required) violations.push(v('metadata-empty', 'is empty'));
      } else if (s.startsWith('[') && s.endsWith(']')) {
        violations.push(v('metadata-placeholder', `still has the template placeholder ${s}`));
      } else if (field === 'k8sConformanceUrl') {
        if (!CONFORMANCE_URL.test(s)) {
          violations.push(
            v(
              'conformance-url-format',
              `${s} is not a k8s-conformance submission URL (expected https://github.com/cncf/k8s-conformance/tree/master/vX.Y/<product>)`,
            ),
          );
        } else {
          urlChecks.push({ url: s, violation: (why) => v('metadata-url-unreachable', `${s} does not answer (${why})`) });
        }
      } else if (s.startsWith('http')) {
        urlChecks.push({ url: s, violation: (why) => v('metadata-url-unreachable', `${s} does not answer (${why})`) });
      }
    }
  }

  if (!product.spec) {
    violations.push({ rule: 'spec-section', subject: 'spec', message: "missing 'spec' section", line: 1 });
  } else {
    const productDir = path.dirname(file);
    for (const [category, schemaCategory] of schema.spec.categories) {
      const productCategory = product.spec.categories.get(category);
      if (!productCategory) {
        violations.push({
          rule: 'category-missing',
          subject: category,
          message: `missing spec category ${category}`,
          line: product.spec.line,
        });
        continue;
      }
      // Later duplicates win, as in the Go map the validator builds.
      const byId = new Map<string, ChecklistEntry>(productCategory.entries.map((e) => [e.id, e]));
      for (const required of schemaCategory.entries) {
        const entry = byId.get(required.id);
        const v = (rule: ViolationRule, message: string, line = entry?.line ?? productCategory.line): Violation => ({
          rule,
          subject: required.id,
          message,
          line,
        });
        if (!entry) {
          violations.push(v('requirement-missing', `missing requirement ${required.id} in category ${category}`));
          continue;
        }
        if (required.level === 'SHOULD' && entry.status === '' && entry.evidence.length === 0) continue;
        if (!(ALLOWED_STATUSES as readonly string[]).includes(entry.status)) {
          violations.push(v('status-invalid', `status '${entry.status}' is not one of ${ALLOWED_STATUSES.join(', ')}`));
        }
        if (required.level === 'MUST' && entry.status === 'N/A' && MUST_MAY_BE_NA.has(required.id)) {
          warnings.push({
            rule: 'must-not-applicable',
            subject: required.id,
            message: 'is a MUST marked N/A; the reviewer must check that its notes say why it does not apply',
            line: entry.line,
          });
        } else if (required.level === 'MUST' && entry.status !== 'Implemented') {
          violations.push(
            v(
              'must-not-implemented',
              `is a MUST requirement but its status is '${entry.status}'; it must be 'Implemented'${MUST_MAY_BE_NA.size ? ` (only ${[...MUST_MAY_BE_NA].join(', ')} may be N/A)` : ''}`,
            ),
          );
        }
        if (entry.status === 'N/A' && entry.notes === '') {
          violations.push(v('na-without-notes', 'status N/A needs notes that say why'));
        }
        const mapped = VALIDATOR_MAPPED_TESTS[required.id];
        let citesArtifact = false;
        for (const evidence of entry.evidence) {
          const link = evidence.value;
          if (link === '') continue;
          if (link.startsWith('http://') || link.startsWith('https://')) {
            urlChecks.push({
              url: link,
              violation: (why) => v('evidence-url-unreachable', `evidence ${link} does not answer (${why})`, evidence.line),
            });
            continue;
          }
          const ref = resolveEvidence(link, productDir, ownPrefix);
          if ('error' in ref) {
            violations.push(v(ref.rule, ref.error, evidence.line));
            continue;
          }
          const kind = artifactKind(ref.relative);
          if (kind) citesArtifact = true;
          const at = (rule: ViolationRule, message: string) => v(rule, message, evidence.line);
          fileChecks.push(
            checkEvidenceFile(ref, link, kind, artifacts, {
              test: ref.fragment || mapped,
              implemented: entry.status === 'Implemented',
              at,
            }),
          );
        }
        if (hybrid && mapped && entry.status === 'Implemented' && !citesArtifact) {
          warnings.push({
            rule: 'hybrid-no-artifact',
            subject: required.id,
            message: `hybrid verification (v1.37+): ${mapped} covers this requirement; cite its e2e.log, junit.xml or results.json from the upstream suite as evidence`,
            line: entry.line,
          });
        }
      }
    }
  }

  const fetchFn = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs;
  for (const found of await Promise.all(fileChecks)) violations.push(...found);
  const simulated = artifacts.simulated;

  const vendor = product.metadata?.fields.get('vendorName') ?? product.metadata?.fields.get('vendor_name');
  const vendorName = vendor?.kind === 'string' ? vendor.text.trim() : '';
  if (opts.offline) {
    if (urlChecks.length > 0) notes.push(`offline: ${urlChecks.length} URL(s) not checked for reachability`);
    if (vendorName !== '') notes.push(`offline: vendorName '${vendorName}' not checked against the CNCF members in the landscape`);
  } else {
    const [unreachable, memberCheck] = await Promise.all([
      mapLimited(urlChecks, opts.concurrency ?? DEFAULT_URL_CONCURRENCY, async (check) => {
        const why = await checkUrl(check.url, { fetch: fetchFn, ...(timeoutMs ? { timeoutMs } : {}) });
        return why === undefined ? undefined : check.violation(why);
      }),
      vendorName === ''
        ? Promise.resolve(undefined)
        : fetchCncfMembers(opts.landscapeUrl ?? LANDSCAPE_URL, fetchFn, timeoutMs ?? 60_000).then(
            (members): { violation?: Violation; warning?: ValidationWarning } =>
              members.has(vendorName)
                ? {}
                : {
                    violation: {
                      rule: 'vendor-not-member',
                      subject: 'vendorName',
                      message: `'${vendorName}' does not match any CNCF member name in the CNCF landscape (https://landscape.cncf.io/members)`,
                      line: vendor?.line ?? 1,
                    },
                  },
            // Not knowing is not a verdict on the vendor: a warning, like a check skipped offline.
            (error: unknown): { violation?: Violation; warning?: ValidationWarning } => ({
              warning: {
                rule: 'landscape-unreachable',
                subject: 'vendorName',
                message: `'${vendorName}' not checked against the CNCF members: the landscape could not be read (${landscapeFailure(error)}); the CNCF validator fails the whole run when it cannot read it, so check again before the pull request`,
                line: vendor?.line ?? 1,
              },
            }),
          ),
    ]);
    for (const u of unreachable) if (u) violations.push(u);
    if (memberCheck?.violation) violations.push(memberCheck.violation);
    if (memberCheck?.warning) warnings.push(memberCheck.warning);
  }

  violations.sort((a, b) => a.line - b.line);
  warnings.sort((a, b) => a.line - b.line);
  return { violations, warnings, notes, kubernetesVersion: version, ...(simulated ? { simulated } : {}) };
}

function versionAtLeast(version: KubernetesVersion, [major, minor]: readonly [number, number]): boolean {
  const [ma, mi] = version.split('.').map(Number) as [number, number];
  return ma > major || (ma === major && mi >= minor);
}

/** The product's own `vX.Y/<dir>/` prefix, from its path (repo-root style links strip it). */
function productPrefix(file: string): string | undefined {
  const parts = path.resolve(file).split(path.sep);
  const dir = parts[parts.length - 2];
  const version = parts[parts.length - 3];
  return dir && version && /^v\d+\.\d+$/.test(version) ? `${version}/${dir}/` : undefined;
}

type ResolvedEvidence = { full: string; relative: string; fragment: string } | { error: string; rule: ViolationRule };

/**
 * A local evidence entry as the validator resolves it: `file://` removed, `#fragment` split off,
 * a leading `/` trimmed, the product's own `vX.Y/<dir>/` prefix stripped; another product's
 * prefix, or a path that leaves the product directory, is rejected.
 */
export function resolveEvidence(link: string, productDir: string, ownPrefix: string | undefined): ResolvedEvidence {
  let rest = link.startsWith('file://') ? link.slice('file://'.length) : link;
  const hash = rest.indexOf('#');
  const fragment = hash === -1 ? '' : rest.slice(hash + 1);
  if (hash !== -1) rest = rest.slice(0, hash);
  rest = rest.replace(/^\/+/, '');
  if (rest === '') return { rule: 'evidence-path-invalid', error: `evidence ${link} names no file` };
  if (ownPrefix && rest.startsWith(ownPrefix)) rest = rest.slice(ownPrefix.length);
  else if (/^v\d+\.\d+\/[^/]+\//.test(rest))
    return { rule: 'evidence-other-product', error: `evidence ${link} references a different product directory` };
  const full = path.resolve(productDir, rest);
  const relative = path.relative(path.resolve(productDir), full);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
    return { rule: 'evidence-escapes', error: `evidence ${link} escapes the product directory` };
  return { full, relative, fragment };
}

/** Each artifact is read and parsed once, however many entries cite it. */
class ArtifactCache {
  private readonly parsed = new Map<string, Promise<ParsedArtifact | ArtifactError>>();

  get(full: string, kind: 'junit' | 'go-json' | 'go-log'): Promise<ParsedArtifact | ArtifactError> {
    let entry = this.parsed.get(full);
    if (!entry) {
      entry = readFile(full, 'utf8').then(
        (text) => {
          try {
            return parseArtifact(kind, text);
          } catch (error) {
            return error instanceof ArtifactError ? error : new ArtifactError(String(error));
          }
        },
        (error: unknown) => new ArtifactError(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`),
      );
      this.parsed.set(full, entry);
    }
    return entry;
  }

  /** The failure message of TestRealCluster in any artifact read, when one failed. */
  simulated: string | undefined;
}

interface EvidenceCheck {
  /** The test this reference points at: its #fragment, else the requirement's mapped test. */
  test: string | undefined;
  implemented: boolean;
  at: (rule: ViolationRule, message: string) => Violation;
}

async function checkEvidenceFile(
  ref: { full: string; relative: string },
  link: string,
  kind: ReturnType<typeof artifactKind>,
  artifacts: ArtifactCache,
  check: EvidenceCheck,
): Promise<Violation[]> {
  if (await fileMissing(ref.full)) return [check.at('evidence-file-missing', `evidence file ${link} not found (looked at ${ref.full})`)];
  if (!kind) return [];
  const artifact = await artifacts.get(ref.full, kind);
  if (artifact instanceof ArtifactError)
    return [check.at('artifact-unreadable', `${ref.relative} cannot be parsed as test output: ${artifact.message}`)];
  const found: Violation[] = [];
  const failing = failingTests(artifact);
  if (failing.length > 0) {
    const marker = artifact.tests.get(SIMULATION_TEST);
    if (marker?.outcome === 'failed') artifacts.simulated = marker.message ?? 'simulated results';
    const why = marker?.outcome === 'failed' ? ` (${SIMULATION_TEST}: ${marker.message ?? 'simulated results'})` : '';
    found.push(
      check.at(
        'artifact-failing-tests',
        `${ref.relative} contains failing tests: ${failing.slice(0, 5).join(', ')}${failing.length > 5 ? `, and ${failing.length - 5} more` : ''}${why}`,
      ),
    );
  } else if (artifact.packageFailed) {
    found.push(check.at('artifact-failing-tests', `${ref.relative} reports a package failure`));
  }
  if (check.test) {
    const outcome = testOutcome(artifact, check.test);
    if (!outcome) found.push(check.at('artifact-test-missing', `${ref.relative} has no test ${check.test}`));
    else if (outcome.outcome === 'failed') found.push(check.at('artifact-test-failed', `test ${check.test} failed in ${ref.relative}`));
    else if (outcome.outcome === 'skipped' && check.implemented)
      found.push(check.at('artifact-test-skipped', `test ${check.test} was skipped in ${ref.relative}, but the status is Implemented`));
  }
  return found;
}

/** One line for a violation or warning, without the file: SUBJECT: MESSAGE. */
export function formatFinding(finding: { subject: string; message: string }): string {
  return `${finding.subject}: ${finding.message}`;
}

/** A GitHub Actions annotation, as the CNCF validator prints its warnings. */
export function warningAnnotation(file: string, warning: ValidationWarning): string {
  const clean = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return `::warning file=${clean(file).replace(/,/g, '%2C').replace(/:/g, '%3A')},line=${warning.line}::${clean(formatFinding(warning))}`;
}

/** One line per violation: FILE:LINE: SUBJECT: MESSAGE. */
export function formatViolation(file: string, violation: { line: number; subject: string; message: string }): string {
  return `${file}:${violation.line}: ${violation.subject}: ${violation.message}`;
}
