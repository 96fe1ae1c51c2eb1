// Rewrites the README's probe option table from the probes' declarations:
//   npx tsx scripts/readme-options.ts
// (__tests__/probes/options.test.ts fails while the two differ.)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_PROBES } from '../src/probes/index.js';
import { optionsMarkdown } from '../src/probes/options.js';

const README = path.resolve(import.meta.dirname, '../README.md');
const BLOCK = /(<!-- probe-options:start -->\n)[\s\S]*?(\n<!-- probe-options:end -->)/;
const readme = readFileSync(README, 'utf8');
if (!BLOCK.test(readme)) throw new Error('README.md has no <!-- probe-options:start --> … <!-- probe-options:end --> block');
writeFileSync(
  README,
  readme.replace(BLOCK, (_, start: string, end: string) => `${start}${optionsMarkdown(BUILTIN_PROBES)}${end}`),
);
