// Writes every report of a run into one directory. Each writer is a pure function of the
// results; this module only decides file names, the checklist's evidence and SARIF locations.
//
// The directory is a complete submission folder (PRODUCT.yaml, junit.xml, results.json,
// e2e.log, evidence/, README.md: what a pull request to cncf/k8s-ai-conformance carries) plus
// our own files (ai-conformance.json, results.sarif, summary.md, comment.md). With
// `submission: 'vX.Y/<dir>'` the submission files alone are also written to that folder.
// The submission folder is then validated as the CNCF validator would, and the result goes
// into the summary and comment.
//
// Order matters: ai-conformance.json first (the run is never lost), then the artifacts and
// evidence the checklist points at, then PRODUCT.yaml and README.md, then the validation, then
// SARIF (it needs PRODUCT.yaml's lines) and the Markdown. A checklist that cannot be rendered
// (bad template, unreadable --product) does not stop the other reports: they are all written,
// then its error is thrown.

import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequirementResult, RunResults } from '../model/results.js';
import { redactDeep } from '../secrets.js';
import { renderChecklist } from '../checklist/fill.js';
import { formatFinding, validateProduct } from '../checklist/validate.js';
import { requirementLines } from '../checklist/lines.js';
import { UsageError } from '../errors.js';
import { renderE2eLog } from './e2e-log.js';
import { EVIDENCE_DIR, evidencePath, renderEvidence } from './evidence.js';
import { renderJunit } from './junit.js';
import { productLocator, repoRelativeUri } from './locations.js';
import { renderComment, renderSummary, stickyMarker, type MarkdownOptions, type SubmissionCheck } from './markdown.js';
import { serializeResults } from './results-file.js';
import { renderSarif } from './sarif.js';
import { renderSubmissionReadme } from './submission-readme.js';
import { renderTestEvents } from './test-events.js';
import { testNameFor } from '../requirements/catalog.js';

export interface ReportOptions {
  outDir: string;
  template?: string;
  /** The --template URL's content, already fetched (the run checks it before probing). */
  templateText?: string;
  product?: string;
  /** Move a --product of another Kubernetes version onto this version's template. */
  migrateProduct?: boolean;
  metadata?: Record<string, string>;
  metadataFile?: string;
  offline: boolean;
  /** Also write the submission files to this folder, named vX.Y/<dir> as in cncf/k8s-ai-conformance. */
  submission?: string;
  /** For SARIF repo-relative paths (default: the repository's workspace, else the working directory). */
  repoRoot?: string;
  /** Previous results: the summary and comment lead with what changed. */
  baseline?: RunResults;
  sarifCategory?: string;
  /** Where the run happened, read once at the front door (src/github/context.ts); default: nowhere known. */
  repository?: RepositoryContext;
  /** Injected for tests: the fetch the validation's online checks use. */
  fetch?: typeof fetch;
}

/** What the reports need to know about the repository the run belongs to; plain data. */
export interface RepositoryContext {
  /** Only a public repository's run URL may be cited: the CNCF validator opens it anonymously. */
  publicRepository: boolean;
  /** https://github.com/OWNER/REPO/blob/SHA, for links to the user's PRODUCT.yaml lines. */
  blobUrl?: string;
  /** The repository root (GITHUB_WORKSPACE). */
  workspace?: string;
}

/** Absolute paths of everything written, and what the validation said. */
export interface WrittenReports {
  model: string;
  product: string;
  junit: string;
  testEvents: string;
  e2eLog: string;
  readme: string;
  evidence: string;
  sarif: string;
  summary: string;
  comment: string;
  /** The --submission folder, when one was written. */
  submission?: string;
  /** The validation of the submission folder (absent when PRODUCT.yaml could not be rendered). */
  validation?: SubmissionCheck;
  /** What --migrate-product changed, one line each. */
  migration: string[];
}

export const REPORT_FILES = {
  model: 'ai-conformance.json',
  product: 'PRODUCT.yaml',
  junit: 'junit.xml',
  testEvents: 'results.json',
  e2eLog: 'e2e.log',
  readme: 'README.md',
  sarif: 'results.sarif',
  summary: 'summary.md',
  comment: 'comment.md',
} as const;

/** What a pull request to cncf/k8s-ai-conformance carries (plus evidence/). */
export const SUBMISSION_FILES = [
  REPORT_FILES.product,
  REPORT_FILES.junit,
  REPORT_FILES.testEvents,
  REPORT_FILES.e2eLog,
  REPORT_FILES.readme,
] as const;

const SUBMISSION_PATH = /(?:^|\/)v(\d+\.\d+)\/[^/]+\/?$/;

/** A --submission path must end in vX.Y/<dir>, with the version the run checks once it is known. */
export function checkSubmissionPath(submission: string, version: string | undefined): void {
  const match = SUBMISSION_PATH.exec(submission.replaceAll('\\', '/'));
  if (!match)
    throw new UsageError(
      `--submission ${submission}: must end in vX.Y/<product-dir>, as in cncf/k8s-ai-conformance (e.g. v${version ?? '1.37'}/acme)`,
    );
  if (version !== undefined && match[1] !== version)
    throw new UsageError(
      `--submission ${submission}: this run checks Kubernetes ${version}, so the folder must be v${version}/<product-dir>`,
    );
}

/**
 * What each probed checklist entry cites: the test of the requirement in junit.xml and
 * results.json (with the #fragment the CNCF validator looks up), e2e.log, the requirement's
 * evidence document, and the run URL only for a public repository (the validator fetches every
 * URL anonymously, and a private repository's run answers 404).
 */
export function evidenceFor(results: RunResults, requirement: RequirementResult, opts: { publicRepository: boolean }): string[] {
  const test = testNameFor(requirement.id);
  return [
    `file://${REPORT_FILES.junit}#${test}`,
    `file://${REPORT_FILES.testEvents}#${test}`,
    `file://${REPORT_FILES.e2eLog}`,
    `file://${evidencePath(requirement.id)}`,
    ...(results.runUrl && opts.publicRepository ? [results.runUrl] : []),
  ];
}

async function readIfPresent(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * For the Markdown: the requirement's line in the user's PRODUCT.yaml when it is in the
 * repository, linked to the commit on GitHub when the Actions environment names one.
 */
function checklistEntries(
  repoRoot: string,
  product: string | undefined,
  locate: ReturnType<typeof productLocator>,
  blobUrl: string | undefined,
): MarkdownOptions['checklistEntry'] {
  const uri = product ? repoRelativeUri(repoRoot, product) : undefined;
  if (!product || !uri) return undefined;
  const display = path.relative(path.resolve(repoRoot), path.resolve(product)).split(path.sep).join('/');
  return (id) => {
    const { startLine } = locate(id);
    const url = blobUrl ? `${blobUrl}/${uri}#L${startLine}` : undefined;
    return { path: display, startLine, ...(url ? { url } : {}) };
  };
}

/** Validates a written PRODUCT.yaml as the CNCF validator does, as the reports show it. */
async function validateWritten(file: string, shownAs: string, results: RunResults, options: ReportOptions): Promise<SubmissionCheck> {
  const outcome = await validateProduct(file, {
    offline: options.offline,
    kubernetesVersion: results.kubernetesVersion,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    file: shownAs,
    valid: outcome.violations.length === 0,
    errors: outcome.violations.map((v) => formatFinding(v)),
    warnings: outcome.warnings.map((w) => formatFinding(w)),
  };
}

export async function writeReports(given: RunResults, options: ReportOptions): Promise<WrittenReports> {
  // Cluster text (reasons, pod logs, API errors) may carry a credential; no report may.
  const results = redactDeep(given);
  if (options.submission) checkSubmissionPath(options.submission, results.kubernetesVersion);
  const outDir = path.resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const file = (name: string) => path.join(outDir, name);
  const files: WrittenReports = {
    model: file(REPORT_FILES.model),
    product: file(REPORT_FILES.product),
    junit: file(REPORT_FILES.junit),
    testEvents: file(REPORT_FILES.testEvents),
    e2eLog: file(REPORT_FILES.e2eLog),
    readme: file(REPORT_FILES.readme),
    evidence: file(EVIDENCE_DIR),
    sarif: file(REPORT_FILES.sarif),
    summary: file(REPORT_FILES.summary),
    comment: file(REPORT_FILES.comment),
    migration: [],
  };

  await writeFile(files.model, serializeResults(results));
  await writeFile(files.junit, renderJunit(results));
  await writeFile(files.testEvents, renderTestEvents(results));
  await writeFile(files.e2eLog, renderE2eLog(results));
  // Evidence of an earlier render must not outlive this one.
  await rm(files.evidence, { recursive: true, force: true });
  await mkdir(files.evidence, { recursive: true });
  const documented = results.requirements.filter((r) => !r.proposed);
  for (const r of documented) await writeFile(file(evidencePath(r.id)), renderEvidence(results, r));

  // A PRODUCT.yaml from an earlier render must not outlive a failed one.
  await rm(files.product, { force: true });
  let checklistFailure: { error: unknown } | undefined;
  let generated: string | undefined;
  try {
    const checklist = await renderChecklist({
      results,
      template: options.template,
      templateText: options.templateText,
      product: options.product,
      migrateProduct: options.migrateProduct,
      metadata: options.metadata,
      metadataFile: options.metadataFile,
      evidence: (r) => evidenceFor(results, r, { publicRepository: options.repository?.publicRepository ?? false }),
      offline: options.offline,
    });
    generated = checklist.text;
    files.migration = checklist.migration;
    await writeFile(files.product, generated);
  } catch (error) {
    checklistFailure = { error };
  }
  await writeFile(files.readme, renderSubmissionReadme(results, { product: generated, submissionPath: options.submission }));

  if (generated !== undefined) {
    let validated = files.product;
    // Relative to the output directory, so that a re-render elsewhere reads the same.
    let shownAs: string = REPORT_FILES.product;
    if (options.submission) {
      const folder = path.resolve(options.submission);
      await rm(folder, { recursive: true, force: true });
      await mkdir(path.join(folder, EVIDENCE_DIR), { recursive: true });
      for (const name of SUBMISSION_FILES) await copyFile(file(name), path.join(folder, name));
      for (const r of documented) await copyFile(file(evidencePath(r.id)), path.join(folder, evidencePath(r.id)));
      files.submission = folder;
      validated = path.join(folder, REPORT_FILES.product);
      shownAs = path.join(options.submission, REPORT_FILES.product);
    }
    files.validation = await validateWritten(validated, shownAs, results, options);
  }

  const repoRoot = options.repoRoot ?? options.repository?.workspace ?? process.cwd();
  const locate = productLocator({
    repoRoot,
    product: options.product,
    productText: await readIfPresent(options.product),
    generatedText: generated,
    linesOf: requirementLines,
  });
  await writeFile(files.sarif, renderSarif(results, { locate, category: options.sarifCategory }));
  const markdown: MarkdownOptions = {
    baseline: options.baseline,
    checklistEntry: checklistEntries(repoRoot, options.product, locate, options.repository?.blobUrl),
    ...(files.validation ? { validation: files.validation } : {}),
  };
  await writeFile(files.summary, renderSummary(results, markdown));
  await writeFile(files.comment, renderComment(results, { ...markdown, marker: stickyMarker(options.sarifCategory) }));

  if (checklistFailure) throw checklistFailure.error;
  return files;
}

// What other layers (run, publish) need without reaching into the writers.
export { readResultsFile, resultsProblem, serializeResults } from './results-file.js';
export { STICKY_MARKER, STICKY_MARKER_LINE, stickyMarker, verdictLine, SUMMARY_MAX_BYTES, COMMENT_MAX_CHARS } from './markdown.js';
export { FALLBACK_PRODUCT_PATH } from './locations.js';
