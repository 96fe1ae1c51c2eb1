// Parses the command line and dispatches to a command. Kept apart from src/cli.ts so tests can
// call main() without the process-level error handling.

import { commandHelp, parseCommandArgs, type Command } from './commands/command.js';
import { UsageError, exitCodeOf, oneLine } from './errors.js';
import { redactSecrets } from './secrets.js';
import { COMMANDS } from './commands/index.js';
import { TOOL } from './runner/tool.js';

function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: ai-conformance <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Flags:',
    '  -h, --help     show this help',
    '  -V, --version  print the version',
    '',
    "Run 'ai-conformance <command> --help' for a command's flags.",
    'Exit codes: 0 every checked MUST passed, 1 a MUST failed or errored (validate: a rule broken), 2 bad usage or input,',
    '            3 cluster unreachable or not authorised, 130/143 cancelled by SIGINT/SIGTERM.',
  ].join('\n');
}

/** The commands under a group word, e.g. "kind" -> kind up, kind down. */
function groupHelp(group: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...members.map((c) => c.name.length));
  return [
    `Usage: ai-conformance ${group} <${members.map((c) => c.name.slice(group.length + 1)).join('|')}> [flags]`,
    '',
    'Commands:',
    ...members.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run 'ai-conformance ${members[0].name} --help' for its flags.`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const name = argv.at(0);
  const rest = argv.slice(1);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText(COMMANDS)}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${TOOL.name} ${TOOL.version}\n`);
    return 0;
  }
  // "kind up" / "kind down" are two-word commands; "kind" alone or "kind --help" lists them.
  const command = COMMANDS.find((c) => c.name === name) ?? COMMANDS.find((c) => c.name === `${name} ${rest[0]}`);
  if (!command) {
    const isGroup = COMMANDS.some((c) => c.name.startsWith(`${name} `));
    if (isGroup && (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h')) {
      process.stdout.write(`${groupHelp(name, COMMANDS)}\n`);
      return rest.length === 0 ? 2 : 0;
    }
    if (isGroup) throw new UsageError(`unknown command '${name} ${rest[0]}' (see 'ai-conformance ${name} --help')`);
    throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  }
  const args = command.name.includes(' ') ? rest.slice(1) : rest;
  // --help wins over everything else, even a bad flag next to it.
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(command, args);
  return command.run(values, positionals);
}

/**
 * main() as a user meets it: every error becomes one redacted line on stderr and the exit code
 * DESIGN.md §4 gives; a stack trace only with AI_CONFORMANCE_DEBUG set.
 */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    process.stderr.write(`ai-conformance: ${redactSecrets(oneLine(error))}\n`);
    if (env.AI_CONFORMANCE_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${redactSecrets(error.stack)}\n`);
    return exitCodeOf(error);
  }
}
