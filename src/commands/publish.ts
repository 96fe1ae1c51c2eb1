// `publish --out DIR`: the GitHub side of a finished run (job summary, sticky PR comment, step
// outputs). The action calls it after `run`; locally it only prints what it would do.

import * as core from '@actions/core';
import { stringOption, type Command } from './command.js';
import { UsageError } from '../errors.js';
import { publish } from '../github/publish.js';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'Publish a finished run to GitHub: job summary, sticky PR comment, step outputs',
  usage: 'publish --out DIR [--comment on|off] [--checklist PATH] [--sarif-category C]',
  options: {
    out: { type: 'string' },
    comment: { type: 'string' },
    checklist: { type: 'string' },
    'sarif-category': { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ai-conformance ${this.usage})`);
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
      checklist: stringOption(values, 'checklist'),
      sarifCategory: stringOption(values, 'sarif-category'),
      notice: say,
    });
    for (const [name, value] of Object.entries(outcome.outputs)) {
      if (inActions) core.setOutput(name, value);
      else process.stdout.write(`${name}=${value}\n`);
    }
    if (!outcome.summary.written) process.stderr.write(`job summary not written: ${outcome.summary.reason}\n`);
    if (outcome.comment.action !== 'skipped') process.stderr.write(`sticky PR comment ${outcome.comment.action} (id ${outcome.comment.id})\n`);
    return 0;
  },
};
