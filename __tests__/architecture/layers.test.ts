// The reporters are pure functions of the results and of data handed in: nothing in src/report
// reads GitHub's environment or imports the GitHub layer (the front door reads that context once).

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPORT_DIR = path.join(import.meta.dirname, '..', '..', 'src', 'report');

describe('layers', () => {
  it('src/report imports nothing from src/github and reads no GITHUB_ variables', () => {
    const files = readdirSync(REPORT_DIR).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(path.join(REPORT_DIR, file), 'utf8');
      expect(text, file).not.toMatch(/from '\.\.\/github\//);
      expect(text, file).not.toMatch(/process\.env/);
    }
  });
});
