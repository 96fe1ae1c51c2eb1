// Parses the command line and dispatches to a command. Kept apart from src/cli.ts so tests can
// call main() without the process-level error handling.

import { parseCommandArgs, type Command } from './commands/command.js';
import { UsageError } from './errors.js';
import { COMMANDS } from './commands/index.js';

function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: ai-conformance <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'ai-conformance <command> --help' for a command's flags.",
  ].join('\n');
}

function commandHelp(command: Command): string {
  const flags = Object.entries(command.options).map(([name, spec]) => `  --${name}${spec.type === 'string' ? ' VALUE' : ''}`);
  return [`Usage: ai-conformance ${command.usage}`, '', command.summary, '', 'Flags:', ...flags].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText(COMMANDS)}\n`);
    return name === undefined ? 2 : 0;
  }
  // "kind up" / "kind down" are two-word commands.
  const command = COMMANDS.find((c) => c.name === name) ?? COMMANDS.find((c) => c.name === `${name} ${rest[0]}`);
  if (!command) throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  const args = command.name.includes(' ') ? rest.slice(1) : rest;
  const { values, positionals } = parseCommandArgs(command, args);
  if (values.help === true) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  return command.run(values, positionals);
}
