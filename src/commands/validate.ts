import type { Command } from './command.js';
import { UsageError } from '../errors.js';

// Placeholder until this command is built; it fails loudly rather than pretending.
export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a PRODUCT.yaml as the CNCF validator does',
  usage: 'validate',
  options: {},
  async run() {
    throw new UsageError("'validate' is not built yet");
  },
};
