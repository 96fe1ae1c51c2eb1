// `publish --out DIR`: the GitHub side of a finished run (job summary, sticky PR comment, step
// outputs). The action calls it after `run`; locally it only prints what it would do.

import * as core from '@actions/core';
import { noArguments, stringOption, type Command } from './command.js';
import { UsageError } from '../errors.js';
import { publish } from '../github/publish.js';
import { readGitHubContext } from '../github/context.js';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'Publish a finished run to GitHub: job summary, sticky PR comment, step outputs',
  usage: 'publish --out DIR [flags]',
  flags: {
    out: {
      type: 'string',
      value: 'DIR',
      description: 'the output directory of a finished run; required',
      example: 'ai-conformance-results',
    },
    comment: { type: 'string', value: 'on|off', description: 'post or update the sticky PR comment', default: 'on', example: 'off' },
    checklist: {
      type: 'string',
      value: 'FILE',
      description: 'the checklist path to report as an output',
      default: 'DIR/PRODUCT.yaml',
      example: 'conformance/PRODUCT.yaml',
    },
    'sarif-category': {
      type: 'string',
      value: 'NAME',
      description: "the run's SARIF category: each category keeps its own sticky comment",
      default: 'the one the run wrote',
      example: 'ai-conformance-1.35',
    },
  },
  examples: ['publish --out ai-conformance-results', 'publish --out results --comment off'],
  async run(values, positionals) {
    noArguments(this, positionals);
    const outDir = stringOption(values, 'out');
    if (!outDir) throw new UsageError(`--out is required (usage: ai-conformance ${this.usage})`);
    const commentFlag = stringOption(values, 'comment') ?? 'on';
    if (!['on', 'off', 'true', 'false'].includes(commentFlag)) throw new UsageError(`--comment must be on or off, not '${commentFlag}'`);
    const inActions = process.env.GITHUB_ACTIONS === 'true';
    const say = (m: string): void => {
      if (inActions) core.notice(m);
      else process.stderr.write(`${m}\n`);
    };
    const outcome = await publish({
      outDir,
      comment: commentFlag === 'on' || commentFlag === 'true',
      token: process.env.GITHUB_TOKEN,
      github: readGitHubContext(process.env),
      checklist: stringOption(values, 'checklist'),
      sarifCategory: stringOption(values, 'sarif-category'),
      notice: say,
    });
    for (const [name, value] of Object.entries(outcome.outputs)) {
      if (inActions) core.setOutput(name, value);
      else process.stdout.write(`${name}=${value}\n`);
    }
    if (!outcome.summary.written) process.stderr.write(`job summary not written: ${outcome.summary.reason}\n`);
    if (outcome.comment.action !== 'skipped')
      process.stderr.write(`sticky PR comment ${outcome.comment.action} (id ${outcome.comment.id})\n`);
    return 0;
  },
};
