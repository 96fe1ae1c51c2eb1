// Writes every report of a run into one directory. Each writer is a pure function of the
// results; this module only decides file names, the checklist's evidence and SARIF locations.
//
// Order matters: results.json first (the run is never lost), then the evidence files the
// checklist points at, then PRODUCT.yaml, then SARIF (it needs PRODUCT.yaml's lines) and the
// Markdown. A checklist that cannot be rendered (bad template, unreadable --product) does not
// stop the other reports: they are all written, then its error is thrown.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResults } from '../model/results.js';
import { redactDeep } from '../secrets.js';
import { renderChecklist } from '../checklist/fill.js';
import { requirementLines } from '../checklist/lines.js';
import { renderE2eLog } from './e2e-log.js';
import { renderJunit } from './junit.js';
import { productLocator, repoRelativeUri } from './locations.js';
import { renderComment, renderSummary, stickyMarker, type MarkdownOptions } from './markdown.js';
import { serializeResults } from './results-file.js';
import { renderSarif } from './sarif.js';

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
  /** For SARIF repo-relative paths (default: the repository's workspace, else the working directory). */
  repoRoot?: string;
  /** Previous results: the summary and comment lead with what changed. */
  baseline?: RunResults;
  sarifCategory?: string;
  /** Where the run happened, read once at the front door (src/github/context.ts); default: nowhere known. */
  repository?: RepositoryContext;
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

/** Absolute paths of everything written. */
export interface WrittenReports {
  resultsJson: string;
  product: string;
  junit: string;
  e2eLog: string;
  sarif: string;
  summary: string;
  comment: string;
}

export const REPORT_FILES = {
  resultsJson: 'results.json',
  product: 'PRODUCT.yaml',
  junit: 'junit_01.xml',
  e2eLog: 'e2e.log',
  sarif: 'results.sarif',
  summary: 'summary.md',
  comment: 'comment.md',
} as const satisfies Record<keyof WrittenReports, string>;

/**
 * What each probed checklist entry cites: the evidence files beside PRODUCT.yaml, and the run URL
 * only for a public repository. The CNCF validator fetches every evidence URL anonymously, and a
 * private repository's run answers 404, which fails the submission ("Invalid evidence URL").
 */
export function evidenceFor(results: RunResults, opts: { publicRepository: boolean }): string[] {
  return [REPORT_FILES.junit, REPORT_FILES.e2eLog, ...(results.runUrl && opts.publicRepository ? [results.runUrl] : [])];
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

export async function writeReports(given: RunResults, options: ReportOptions): Promise<WrittenReports> {
  // Cluster text (reasons, pod logs, API errors) may carry a credential; no report may.
  const results = redactDeep(given);
  const outDir = path.resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const files = Object.fromEntries(
    Object.entries(REPORT_FILES).map(([key, name]) => [key, path.join(outDir, name)]),
  ) as unknown as WrittenReports;

  await writeFile(files.resultsJson, serializeResults(results));
  await writeFile(files.junit, renderJunit(results));
  await writeFile(files.e2eLog, renderE2eLog(results));

  // A PRODUCT.yaml from an earlier render must not outlive a failed one.
  await rm(files.product, { force: true });
  let checklistError: unknown;
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
      evidence: evidenceFor(results, { publicRepository: options.repository?.publicRepository ?? false }),
      offline: options.offline,
    });
    generated = checklist.text;
    await writeFile(files.product, generated);
  } catch (error) {
    checklistError = error;
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
  const markdown = { baseline: options.baseline, checklistEntry: checklistEntries(repoRoot, options.product, locate, options.repository?.blobUrl) };
  await writeFile(files.summary, renderSummary(results, markdown));
  await writeFile(files.comment, renderComment(results, { ...markdown, marker: stickyMarker(options.sarifCategory) }));

  if (checklistError !== undefined) throw checklistError;
  return files;
}

// What other layers (run, publish) need without reaching into the writers.
export { readResultsFile, resultsProblem, serializeResults } from './results-file.js';
export { STICKY_MARKER, STICKY_MARKER_LINE, stickyMarker, verdictLine, SUMMARY_MAX_BYTES, COMMENT_MAX_CHARS } from './markdown.js';
export { FALLBACK_PRODUCT_PATH } from './locations.js';
