import type { Command } from './command.js';
import { UsageError } from '../errors.js';

// Placeholder until this command is built; it fails loudly rather than pretending.
export const runCommand: Command = {
  name: 'run',
  summary: 'Connect to or provision a cluster, probe every requirement, write the reports',
  usage: 'run',
  options: {},
  async run() {
    throw new UsageError("'run' is not built yet");
  },
};
