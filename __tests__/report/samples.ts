// The sample results in fixtures/results/, loaded once for every report test.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResults } from '../../src/model/results.js';

export const SAMPLES_DIR = path.resolve(import.meta.dirname, '../../fixtures/results');

export const SAMPLE_NAMES = readdirSync(SAMPLES_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

export function sample(name: string): RunResults {
  return JSON.parse(readFileSync(path.join(SAMPLES_DIR, `${name}.json`), 'utf8')) as RunResults;
}

export function samplePath(name: string): string {
  return path.join(SAMPLES_DIR, `${name}.json`);
}

/** A copy with one requirement changed. */
export function withRequirement(results: RunResults, id: string, patch: Partial<RunResults['requirements'][number]>): RunResults {
  const copy = structuredClone(results);
  const target = copy.requirements.find((r) => r.id === id);
  if (!target) throw new Error(`no requirement ${id} in sample`);
  Object.assign(target, patch);
  return copy;
}

/** Strings a hostile cluster could put in a reason, observation or name. */
export const HOSTILE = [
  'a | b || c',
  '`code` ```fence```',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<!-- ai-conformance:sticky -->',
  '<!-- hide the rest',
  '@octocat and @github/security please look',
  '[click](https://evil.example) ![img](https://evil.example/x.png)',
  '**bold** _em_ ~~strike~~ # heading',
  'line one\nline two\r\n| x | y |',
  'tab\there & amp &amp; &lt;',
  'ctrl \u0000\u0001\u0007\u001b[31mred\u001b[0m \u007f\ufffe',
  'lone surrogate \ud800 end',
  'emoji 🚀 kept',
  ']]> <![CDATA[ x ]]>',
  'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789',
  'token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl',
];
