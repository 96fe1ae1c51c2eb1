// Where each requirement sits in a checklist's text, so annotations can point at it.

import { decodeChecklist } from './decode.js';

/** 1-based line of each requirement's `- id:` line; empty when the text is not a readable checklist. */
export function requirementLines(yamlText: string): Map<string, number> {
  const lines = new Map<string, number>();
  try {
    const decoded = decodeChecklist(yamlText, 'checklist');
    for (const category of decoded.spec?.categories.values() ?? []) {
      for (const entry of category.entries) {
        if (entry.id !== '' && !lines.has(entry.id)) lines.set(entry.id, entry.line);
      }
    }
  } catch {
    // Malformed YAML: callers fall back to their own location.
  }
  return lines;
}
