// `report ai-conformance.json --out DIR`: re-renders every report, the submission folder
// included, from our results model, e.g. with another product file or metadata, or to compare
// with a baseline.

import type { Command } from './command.js';
import { booleanOption, stringOption } from './command.js';
import { RUN_FLAGS } from '../run/config.js';
import { UsageError, oneLine } from '../errors.js';
import { exitCodeFor } from '../model/results.js';
import { writeReports, type WrittenReports } from '../report/index.js';
import { printOutcome } from './outcome.js';
import { readResultsFile } from '../report/results-file.js';

const USAGE = 'report ai-conformance.json --out DIR [flags]';

export const reportCommand: Command = {
  name: 'report',
  summary: 'Re-render every report and the submission folder from an ai-conformance.json',
  usage: USAGE,
  flags: {
    out: { ...RUN_FLAGS.out, description: 'where every report is written; required', default: undefined },
    template: RUN_FLAGS.template,
    product: RUN_FLAGS.product,
    'migrate-product': RUN_FLAGS['migrate-product'],
    submission: RUN_FLAGS.submission,
    metadata: { type: 'string', value: 'FILE', description: 'checklist metadata from a YAML file', example: 'metadata.yaml' },
    offline: RUN_FLAGS.offline,
    baseline: RUN_FLAGS.baseline,
    'sarif-category': RUN_FLAGS['sarif-category'],
  },
  examples: [
    'report results/ai-conformance.json --out rerendered/',
    'report results/ai-conformance.json --out out/ --product conformance/PRODUCT.yaml --submission v1.37/acme --offline',
  ],
  async run(values, positionals) {
    if (positionals.length !== 1) {
      throw new UsageError(`report takes exactly one results file, got ${positionals.length} (usage: ai-conformance ${USAGE})`);
    }
    const outDir = stringOption(values, 'out');
    if (!outDir) throw new UsageError(`report needs --out DIR (usage: ai-conformance ${USAGE})`);
    const results = await readResultsFile(positionals[0]);
    const baselineFile = stringOption(values, 'baseline');
    const baseline = baselineFile ? await readResultsFile(baselineFile) : undefined;

    let written: WrittenReports;
    try {
      written = await writeReports(results, {
        outDir,
        template: stringOption(values, 'template'),
        product: stringOption(values, 'product'),
        migrateProduct: booleanOption(values, 'migrate-product'),
        submission: stringOption(values, 'submission'),
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

    printOutcome(results, written, outDir);
    return exitCodeFor(results);
  },
};
