// `validate FILE`: the CNCF validator's rules, one line per violation. Exit 0 valid, 1 invalid,
// 2 when the file cannot be read or parsed (thrown as UsageError). Warnings do not fail the
// file; under GitHub Actions they are printed as `::warning file=…::` annotations, as the CNCF
// validator prints them.

import type { Command } from './command.js';
import { COMMON_FLAGS, booleanOption, stringOption } from './command.js';
import { UsageError } from '../errors.js';
import { formatViolation, validateProduct, warningAnnotation } from '../checklist/validate.js';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a PRODUCT.yaml and the artifacts beside it as the CNCF validator does',
  usage: 'validate FILE [flags]',
  flags: {
    offline: {
      type: 'boolean',
      description: 'skip the URL reachability and CNCF landscape checks (local files and artifacts are still checked)',
      example: '',
    },
    'kubernetes-version': {
      type: 'string',
      value: 'X.Y',
      description: "the checklist's Kubernetes version",
      default: "the file's metadata.kubernetesVersion, else its folder name",
      example: '1.35',
    },
    format: COMMON_FLAGS.format,
  },
  examples: ['validate PRODUCT.yaml', 'validate v1.35/acme/PRODUCT.yaml --offline --format json'],
  async run(values, positionals) {
    const format = stringOption(values, 'format') ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError(`unknown --format '${format}' (text or json)`);
    if (positionals.length !== 1) throw new UsageError(`validate takes exactly one FILE (usage: ai-conformance ${this.usage})`);
    const file = positionals[0];
    const version = stringOption(values, 'kubernetes-version');
    const result = await validateProduct(file, {
      offline: booleanOption(values, 'offline'),
      ...(version ? { kubernetesVersion: version } : {}),
    });
    const valid = result.violations.length === 0;
    if (format === 'json') {
      const { violations, warnings, notes, simulated } = result;
      process.stdout.write(
        `${JSON.stringify({ file, kubernetesVersion: result.kubernetesVersion, valid, violations, warnings, notes, ...(simulated ? { simulated } : {}) }, null, 2)}\n`,
      );
      return valid ? 0 : 1;
    }
    const actions = process.env.GITHUB_ACTIONS === 'true';
    for (const warning of result.warnings)
      process.stdout.write(`${actions ? warningAnnotation(file, warning) : `warning: ${formatViolation(file, warning)}`}\n`);
    for (const violation of result.violations) process.stdout.write(`${formatViolation(file, violation)}\n`);
    for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
    // The one line that says why a simulated folder can never pass.
    if (result.simulated) process.stdout.write(`${file}: cannot be submitted: ${result.simulated}\n`);
    const warned = result.warnings.length > 0 ? ` (${result.warnings.length} warning(s))` : '';
    process.stdout.write(
      valid
        ? `${file}: valid for Kubernetes ${result.kubernetesVersion}${warned}\n`
        : `${file}: ${result.violations.length} violation(s) for Kubernetes ${result.kubernetesVersion}${warned}\n`,
    );
    return valid ? 0 : 1;
  },
};
