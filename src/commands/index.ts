// Every subcommand, in help order.

import type { Command } from './command.js';
import { listCommand } from './list.js';
import { validateCommand } from './validate.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { kindUpCommand, kindDownCommand } from './kind.js';
import { publishCommand } from './publish.js';

export const COMMANDS: readonly Command[] = [
  runCommand,
  validateCommand,
  reportCommand,
  listCommand,
  kindUpCommand,
  kindDownCommand,
  publishCommand,
];
