// The shape every subcommand has, so src/main.ts can parse flags, print help and dispatch
// without knowing what any command does. Flags are declared once, with the text `--help` prints
// for them; node:util's parseArgs does the parsing.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { KUBERNETES_VERSIONS } from '../requirements/catalog.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Repeatable (and, for lists, comma-separated). */
  multiple?: boolean;
  short?: string;
  /** The value's placeholder in help, e.g. DIR (default VALUE). */
  value?: string;
  /** One line: what the flag does. */
  description: string;
  /** The default as a user reads it; omitted when there is none. */
  default?: string;
  /** A value to show, e.g. "30m" (printed as --timeout 30m). */
  example?: string;
}

export type Flags = Record<string, FlagSpec>;
export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  /** One line for the help text. */
  summary: string;
  /** Usage line without the program name, e.g. "validate FILE [flags]". */
  usage: string;
  flags: Flags;
  /** Whole command lines (without "ai-conformance") for --help. */
  examples: readonly string[];
  /** Returns the process exit code. */
  run(values: ParsedValues, positionals: string[]): Promise<number>;
}

/** Flags shared by the commands that talk to a cluster or pick a requirement set. */
export const COMMON_FLAGS = {
  kubeconfig: {
    type: 'string',
    value: 'FILE',
    description: 'kubeconfig file; several files may be merged through KUBECONFIG',
    default: '$KUBECONFIG, else ~/.kube/config',
    example: '~/.kube/config',
  },
  context: { type: 'string', value: 'NAME', description: 'kubeconfig context to use', default: 'the current context', example: 'gpu-prod' },
  'kubernetes-version': {
    type: 'string',
    value: 'X.Y',
    description: `check the requirements of this Kubernetes version (${KUBERNETES_VERSIONS[0]} to ${KUBERNETES_VERSIONS.at(-1)})`,
    default: "the server's version",
    example: '1.35',
  },
  format: { type: 'string', value: 'text|json', description: 'output format', default: 'text', example: 'json' },
} as const satisfies Flags;

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', description: 'show this help' };

function parseConfig(flags: Flags): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries({ ...flags, help: HELP_FLAG })) {
    options[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) };
  }
  return options;
}

/**
 * parseArgs reads "--parallel -1" as a missing value followed by an unknown flag ("argument is
 * ambiguous"). A value that starts with a dash and a digit is a (bad) number, never a flag: it is
 * joined to its flag, so the flag's own check can say what is wrong with it.
 */
function joinDashedValues(flags: Flags, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = argv.at(i + 1);
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name && Object.hasOwn(flags, name) && flags[name].type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function parseCommandArgs(
  command: Pick<Command, 'name' | 'flags'>,
  argv: readonly string[],
): { values: ParsedValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: joinDashedValues(command.flags, argv),
      options: parseConfig(command.flags),
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

/** `ai-conformance <command> --help`: usage, one line per flag with its default and an example, examples. */
export function commandHelp(command: Command): string {
  const flags = Object.entries({ ...command.flags, help: HELP_FLAG });
  const left = flags.map(
    ([name, spec]) => `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`,
  );
  const width = Math.max(...left.map((l) => l.length));
  const lines = flags.map(([name, spec], i) => {
    const notes = [
      spec.multiple ? 'repeatable' : undefined,
      spec.default !== undefined ? `default: ${spec.default}` : undefined,
      spec.example !== undefined ? `e.g. --${name}${spec.type === 'string' ? ` ${spec.example}` : ''}` : undefined,
    ].filter((n) => n !== undefined);
    return `  ${left[i].padEnd(width)}  ${spec.description}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  });
  return [
    `Usage: ai-conformance ${command.usage}`,
    '',
    command.summary,
    '',
    'Flags:',
    ...lines,
    ...(command.examples.length ? ['', 'Examples:', ...command.examples.map((e) => `  ai-conformance ${e}`)] : []),
  ].join('\n');
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
  return raw
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Commands that take no positional arguments say so in one line. */
export function noArguments(command: Pick<Command, 'name'>, positionals: readonly string[]): void {
  if (positionals.length > 0)
    throw new UsageError(`${command.name} takes no arguments, got '${positionals[0]}' (see 'ai-conformance ${command.name} --help')`);
}
