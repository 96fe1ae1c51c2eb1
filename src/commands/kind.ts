import type { Command } from './command.js';
import { UsageError } from '../errors.js';

// Placeholders until the kind provider is built; they fail loudly rather than pretending.
export const kindUpCommand: Command = {
  name: 'kind up',
  summary: 'Create the PR-mode kind cluster with a fake DRA driver',
  usage: 'kind up',
  options: {},
  async run() {
    throw new UsageError("'kind up' is not built yet");
  },
};

export const kindDownCommand: Command = {
  name: 'kind down',
  summary: 'Delete the PR-mode kind cluster',
  usage: 'kind down',
  options: {},
  async run() {
    throw new UsageError("'kind down' is not built yet");
  },
};
