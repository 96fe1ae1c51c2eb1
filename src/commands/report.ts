import type { Command } from './command.js';
import { UsageError } from '../errors.js';

// Placeholder until this command is built; it fails loudly rather than pretending.
export const reportCommand: Command = {
  name: 'report',
  summary: 'Re-render every report from a results.json',
  usage: 'report',
  options: {},
  async run() {
    throw new UsageError("'report' is not built yet");
  },
};
