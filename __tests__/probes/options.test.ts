// Every --probe-option key a built-in probe reads is declared on the probe, so `run` can reject
// the keys no probe reads (a typo would otherwise be ignored without a word).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROBES } from '../../src/probes/index.js';

const SRC = path.resolve(import.meta.dirname, '../../src/probes');

describe('probe option declarations', () => {
  for (const probe of BUILTIN_PROBES) {
    it(`${probe.id} declares exactly the option keys it reads`, () => {
      const source = readFileSync(path.join(SRC, `${probe.id}.ts`), 'utf8');
      const read = [...source.matchAll(/(?:durationOption|countOption)\(ctx, '([^']+)'/g)].map((m) => m[1]);
      expect([...(probe.options ?? [])].sort()).toEqual([...new Set(read)].sort());
    });
  }
});
