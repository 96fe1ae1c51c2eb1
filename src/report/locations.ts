// Where a SARIF alert points. GitHub shows an alert on a file of the repository, so:
// 1. when --product names a PRODUCT.yaml inside the repository, the alert sits on the
//    requirement's `- id:` line of that file (repo-relative uri), or its line 1 when the id is
//    missing there;
// 2. otherwise on FALLBACK_PRODUCT_PATH, the place we suggest committing the checklist, at the
//    line the requirement has in the PRODUCT.yaml this run generated (line 1 if none was).
// The path never depends on the output directory or the run, so alerts stay put across runs.

import path from 'node:path';
import type { SarifLocation } from './sarif.js';

export const FALLBACK_PRODUCT_PATH = '.github/ai-conformance/PRODUCT.yaml';

export interface LocatorInput {
  /** Absolute or cwd-relative repository root. */
  repoRoot: string;
  /** The user's PRODUCT.yaml (--product), absolute or cwd-relative. */
  product?: string;
  /** Text of the user's PRODUCT.yaml, when it could be read. */
  productText?: string;
  /** Text of the PRODUCT.yaml this run wrote, for the fallback's lines. */
  generatedText?: string;
  /** 1-based line of each requirement's `- id:` in a checklist's YAML text. */
  linesOf: (yamlText: string) => Map<string, number>;
}

/** The repo-relative uri of a file inside the repository, else undefined. */
export function repoRelativeUri(repoRoot: string, file: string): string | undefined {
  const relative = path.relative(path.resolve(repoRoot), path.resolve(file));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}

export function productLocator(input: LocatorInput): (requirementId: string) => SarifLocation {
  const inRepo = input.product ? repoRelativeUri(input.repoRoot, input.product) : undefined;
  const uri = inRepo ?? FALLBACK_PRODUCT_PATH;
  const text = inRepo ? input.productText : input.generatedText;
  let lines: Map<string, number> = new Map();
  if (text !== undefined) {
    try {
      lines = input.linesOf(text);
    } catch {
      // An unparsable checklist still gets alerts, on line 1.
    }
  }
  return (id) => ({ uri, startLine: lines.get(id) ?? 1 });
}
