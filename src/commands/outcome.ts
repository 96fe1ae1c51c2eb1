// What `run` and `report` print when the reports are written: where they are, what changed in a
// migrated --product, what the validation of the submission folder said, and the outcome.

import path from 'node:path';
import { isReadyToSubmit, leftOutMusts, runOutcome, unprovenMusts, type RunResults } from '../model/results.js';
import type { WrittenReports } from '../report/index.js';
import { redactSecrets } from '../secrets.js';

export function printOutcome(
  results: RunResults,
  written: WrittenReports,
  outDir: string,
  write: (line: string) => void = (l) => process.stdout.write(`${redactSecrets(l)}\n`),
): void {
  write(
    `Wrote the reports and the submission folder (PRODUCT.yaml, junit.xml, results.json, e2e.log, evidence/, README.md) to ${path.resolve(outDir)}`,
  );
  if (written.submission) write(`Wrote the submission folder ${written.submission}`);
  for (const line of written.migration) write(`migrated: ${line}`);
  const check = written.validation;
  if (check) {
    write(
      check.valid
        ? `validate ${check.file}: valid${check.warnings.length ? ` (${check.warnings.length} warning(s))` : ''}`
        : `validate ${check.file}: ${check.errors.length} error(s)`,
    );
    for (const error of check.errors.slice(0, 10)) write(`  - ${error}`);
    if (check.errors.length > 10) write(`  - … and ${check.errors.length - 10} more (see summary.md)`);
    for (const warning of check.warnings) write(`  warning: ${warning}`);
  }
  const outcome = runOutcome(results);
  const unproven = unprovenMusts(results);
  const leftOut = leftOutMusts(results);
  const why = [
    ...(unproven.length ? [`MUST not proven: ${unproven.map((r) => `${r.id} (${r.verdict})`).join(', ')}`] : []),
    ...(leftOut.length ? [`MUST left out: ${leftOut.map((r) => r.id).join(', ')}`] : []),
    ...(results.leaked > 0 ? [`${results.leaked} object(s) left behind`] : []),
  ];
  write(`Result: ${outcome}${why.length ? ` (${why.join('; ')})` : ''}`);
  const ready = isReadyToSubmit(results) && check?.valid !== false;
  write(
    `${ready ? 'Ready to submit.' : 'Not ready to submit: see summary.md.'}${results.cluster.simulated ? ` (SIMULATED: ${results.cluster.simulatedBecause ?? 'simulated cluster'})` : ''}`,
  );
}
