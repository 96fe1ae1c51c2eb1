// The official CNCF AI conformance checklist templates (cncf/k8s-ai-conformance docs/,
// Apache-2.0), bundled so that checklists always carry the official wording and `validate`
// works offline. The files live in fixtures/checklists/templates/AIConformance-<X.Y>.yaml: from
// source (tests, tsx) they are read from there; scripts/build.mjs inlines them into dist/ by
// replacing BUNDLED below, so the bundle needs no files beside it.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubernetesVersion } from '../requirements/catalog.js';

/** Replaced by scripts/build.mjs with { "<X.Y>": "<template text>", … }. */
const BUNDLED = undefined as Readonly<Record<string, string>> | undefined;

const cache = new Map<string, string>();

/** The path of a bundled template in the source tree (absent from an installed bundle). */
export function templateFile(version: string): string {
  return fileURLToPath(new URL(`../../fixtures/checklists/templates/AIConformance-${version}.yaml`, import.meta.url));
}

/** The official template text of a supported version, byte for byte. */
export function officialTemplate(version: KubernetesVersion): string {
  const inlined = BUNDLED?.[version];
  if (inlined !== undefined) return inlined;
  let text = cache.get(version);
  if (text === undefined) {
    text = readFileSync(templateFile(version), 'utf8');
    cache.set(version, text);
  }
  return text;
}
