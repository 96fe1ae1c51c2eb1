// The shape every subcommand has, so src/cli.ts can parse flags and dispatch without knowing
// what any command does.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  /** One line for the help text. */
  summary: string;
  /** Usage line, e.g. "validate FILE [--offline]". */
  usage: string;
  options: OptionSpec;
  /** Returns the process exit code. */
  run(values: ParsedValues, positionals: string[]): Promise<number>;
}

/** Flags shared by the commands that talk to a cluster or pick a requirement set. */
export const COMMON_OPTIONS: OptionSpec = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'kubernetes-version': { type: 'string' },
  format: { type: 'string' },
};

export function parseCommandArgs(command: Command, argv: string[]): { values: ParsedValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedValues, positionals };
  } catch (error) {
    // node:util's first sentence is the useful part, e.g. "Unknown option '--frob'."
    const message = (error instanceof Error ? error.message : String(error)).replace(/\. To specify a positional argument[\s\S]*/, '');
    throw new UsageError(`${message.split('\n')[0]} (see 'ai-conformance ${command.name} --help')`);
  }
}

export function stringOption(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}

/** Comma-separated and repeated flags both work: --only a,b --only c. */
export function listOption(values: ParsedValues, name: string): string[] {
  const value = values[name];
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}
