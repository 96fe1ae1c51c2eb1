// `report RESULTS.json --out DIR`: re-renders every report from a results file, e.g. with
// another template or product file, or to compare with a baseline.

import path from 'node:path';
import type { Command } from './command.js';
import { booleanOption, stringOption } from './command.js';
import { RUN_FLAGS } from '../run/config.js';
import { UsageError, oneLine } from '../errors.js';
import { exitCodeFor, isReadyToSubmit } from '../model/results.js';
import { REPORT_FILES, writeReports } from '../report/index.js';
import { readResultsFile } from '../report/results-file.js';

const USAGE = 'report RESULTS.json --out DIR [flags]';

export const reportCommand: Command = {
  name: 'report',
  summary: 'Re-render every report from a results.json',
  usage: USAGE,
  flags: {
    out: { ...RUN_FLAGS.out, description: 'where every report is written; required', default: undefined },
    template: RUN_FLAGS.template,
    product: RUN_FLAGS.product,
    metadata: { type: 'string', value: 'FILE', description: 'checklist metadata from a YAML file', example: 'metadata.yaml' },
    offline: RUN_FLAGS.offline,
    baseline: RUN_FLAGS.baseline,
    'sarif-category': RUN_FLAGS['sarif-category'],
  },
  examples: ['report results/results.json --out rerendered/', 'report results/results.json --out out/ --product conformance/PRODUCT.yaml --offline'],
  async run(values, positionals) {
    if (positionals.length !== 1) {
      throw new UsageError(`report takes exactly one results file, got ${positionals.length} (usage: ai-conformance ${USAGE})`);
    }
    const outDir = stringOption(values, 'out');
    if (!outDir) throw new UsageError(`report needs --out DIR (usage: ai-conformance ${USAGE})`);
    const results = await readResultsFile(positionals[0]!);
    const baselineFile = stringOption(values, 'baseline');
    const baseline = baselineFile ? await readResultsFile(baselineFile) : undefined;

    try {
      await writeReports(results, {
        outDir,
        template: stringOption(values, 'template'),
        product: stringOption(values, 'product'),
        metadataFile: stringOption(values, 'metadata'),
        offline: booleanOption(values, 'offline'),
        baseline,
        sarifCategory: stringOption(values, 'sarif-category'),
      });
    } catch (error) {
      // A directory we cannot write to is bad input, like a file we cannot read.
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new UsageError(`cannot write reports to ${outDir}: ${oneLine(error)}`);
      throw error;
    }

    const ready = isReadyToSubmit(results);
    process.stdout.write(`Wrote ${Object.values(REPORT_FILES).join(', ')} to ${path.resolve(outDir)}\n`);
    process.stdout.write(`${ready ? 'Ready to submit.' : 'Not ready to submit: see summary.md.'}${results.cluster.simulated ? ' (simulated cluster)' : ''}\n`);
    return exitCodeFor(results);
  },
};
