// `validate FILE`: the CNCF validator's rules, one line per violation. Exit 0 valid, 1 invalid,
// 2 when the file cannot be read or parsed (thrown as UsageError).

import type { Command } from './command.js';
import { COMMON_FLAGS, booleanOption, stringOption } from './command.js';
import { UsageError } from '../errors.js';
import { formatViolation, validateProduct } from '../checklist/validate.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a PRODUCT.yaml as the CNCF validator does',
  usage: 'validate FILE [flags]',
  flags: {
    offline: { type: 'boolean', description: 'skip the URL reachability checks', example: '' },
    'kubernetes-version': { type: 'string', value: 'X.Y', description: "the checklist's Kubernetes version", default: "the file's metadata.kubernetesVersion, else its folder name", example: '1.35' },
    format: COMMON_FLAGS.format,
  },
  examples: ['validate PRODUCT.yaml', 'validate v1.35/acme/PRODUCT.yaml --offline --format json'],
  async run(values, positionals) {
    const format = stringOption(values, 'format') ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`unknown --format '${format}' (text or json)`);
    if (positionals.length !== 1) throw new UsageError(`validate takes exactly one FILE (usage: ai-conformance ${this.usage})`);
    const file = positionals[0] as string;
    const version = stringOption(values, 'kubernetes-version');
    const result = await validateProduct(file, { offline: booleanOption(values, 'offline'), ...(version ? { kubernetesVersion: version } : {}) });
    const valid = result.violations.length === 0;
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ file, kubernetesVersion: result.kubernetesVersion, valid, violations: result.violations, notes: result.notes }, null, 2)}\n`);
    } else {
      for (const violation of result.violations) process.stdout.write(`${formatViolation(file, violation)}\n`);
      for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
      process.stdout.write(
        valid
          ? `${file}: valid for Kubernetes ${result.kubernetesVersion}\n`
          : `${file}: ${result.violations.length} violation(s) for Kubernetes ${result.kubernetesVersion}\n`,
      );
    }
    return valid ? 0 : 1;
  },
};
