import type { Command } from './command.js';
import { UsageError } from '../errors.js';

// Placeholder until this command is built; it fails loudly rather than pretending.
export const listCommand: Command = {
  name: 'list',
  summary: 'List the requirements and probes for a Kubernetes version',
  usage: 'list',
  options: {},
  async run() {
    throw new UsageError("'list' is not built yet");
  },
};
