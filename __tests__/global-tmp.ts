// Every temporary file of a test run (the tests' own, and those of the CLIs and fake clusters they
// start) goes under one directory, removed when the run ends: no test leaves anything in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'aic-tests-'));
  // Read by os.tmpdir() in the test workers, which inherit this environment.
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
  };
}
