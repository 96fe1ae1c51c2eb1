// Every exit code the CLI can return is documented where users look for it, once and the same
// way: the README's table, `--help`, and the action's exit-code output. The codes come from the
// code itself (the error classes, the signal mapping, the run outcome), so a new code that is not
// documented fails here.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { ClusterUnreachableError, UsageError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { exitCodeForSignal } from '../../src/runner/signals.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { outputs: Record<string, { description: string }> };

/** 0 and 1 are the run outcome (exitCodeFor) and validate's; the rest come from the code. */
const CODES = [
  0,
  1,
  new UsageError('x').exitCode,
  new ClusterUnreachableError('x').exitCode,
  exitCodeForSignal('SIGINT'),
  exitCodeForSignal('SIGTERM'),
].sort((a, b) => a - b);

/** The README's exit code table: the codes its rows name, in order. */
function readmeTableCodes(): number[] {
  const table = README.slice(README.indexOf('Exit codes:\n'));
  const rows = table.split('\n\n')[1]?.split('\n') ?? [];
  return rows.flatMap((row) => [...(/^\| ([^|]+) \|/.exec(row)?.[1] ?? '').matchAll(/`(\d+)`/g)].map((m) => Number(m[1])));
}

async function helpText(): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  try {
    expect(await main(['--help'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('exit codes', () => {
  it('the CLI returns 0, 1, 2, 3, 130 and 143', () => {
    expect(CODES).toEqual([0, 1, 2, 3, 130, 143]);
  });

  it("are each in the README's table, and the table names no other", () => {
    const listed = readmeTableCodes();
    // 0 has two rows (passed and partial); every other code one.
    expect([...new Set(listed)].sort((a, b) => a - b)).toEqual(CODES);
    expect(listed.filter((code) => code !== 0)).toEqual([...new Set(listed.filter((code) => code !== 0))]);
  });

  it("are each in --help and in the action's exit-code output", async () => {
    const text = await helpText();
    const help = text.slice(text.indexOf('Exit codes:'));
    const output = action.outputs['exit-code'].description;
    for (const code of CODES) {
      expect(help, `--help: ${code}`).toMatch(new RegExp(`(^|[^0-9])${code}([^0-9]|$)`));
      expect(output, `action.yml exit-code: ${code}`).toMatch(new RegExp(`(^|[^0-9])${code}([^0-9]|$)`));
    }
  });
});
