import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SUMMARY_TRUNCATED_NOTE, writeJobSummary } from '../../src/github/summary.js';
import { SUMMARY_MAX_BYTES, truncateBytes } from '../../src/report/github-limits.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function summaryFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'summary-'));
  dirs.push(dir);
  const file = path.join(dir, 'step_summary');
  writeFileSync(file, '');
  return file;
}

describe('job summary', () => {
  it('writes the markdown as is when it fits', async () => {
    const file = summaryFile();
    const outcome = await writeJobSummary('## AI conformance\n\n| id | verdict |\n', { GITHUB_STEP_SUMMARY: file });
    expect(outcome).toEqual({ written: true, bytes: 36, truncated: false });
    expect(readFileSync(file, 'utf8')).toBe('## AI conformance\n\n| id | verdict |\n');
  });

  it('stays within 1 MiB with multi-byte text, cut at a line, with a note', async () => {
    const file = summaryFile();
    const big = '| gpu_sharing | ✅ passed | 😀 observed |\n'.repeat(40_000); // ~1.8 MB
    expect(Buffer.byteLength(big)).toBeGreaterThan(SUMMARY_MAX_BYTES);
    const outcome = await writeJobSummary(big, { GITHUB_STEP_SUMMARY: file });
    expect(outcome).toMatchObject({ written: true, truncated: true });
    expect(statSync(file).size).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith(SUMMARY_TRUNCATED_NOTE)).toBe(true);
    expect(text.slice(0, -SUMMARY_TRUNCATED_NOTE.length).endsWith('observed |\n')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('says why when not in GitHub Actions', async () => {
    expect(await writeJobSummary('x', {})).toEqual({
      written: false,
      reason: 'GITHUB_STEP_SUMMARY is not set (not running in GitHub Actions)',
    });
  });

  it('truncateBytes never splits a character even without line breaks', () => {
    const out = truncateBytes('😀'.repeat(100), 50, '…');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(50);
    expect(out).toBe(`${'😀'.repeat(11)}…`);
  });
});
