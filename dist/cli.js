#!/usr/bin/env node
import { createRequire as __createRequire } from 'node:module';
const require = __createRequire(import.meta.url);

// src/errors.ts
var UsageError = class extends Error {
  exitCode = 2;
};
var ClusterUnreachableError = class extends Error {
  exitCode = 3;
};
function exitCodeOf(error) {
  if (error instanceof UsageError || error instanceof ClusterUnreachableError) return error.exitCode;
  return 1;
}
function oneLine(error) {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n").find((line) => line.trim() !== "")?.trim() ?? "unknown error";
}

// src/commands/command.ts
import { parseArgs } from "node:util";
function parseCommandArgs(command, argv) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true
    });
    return { values, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.split("\n")[0]} (usage: ai-conformance ${command.usage})`);
  }
}

// src/commands/list.ts
var listCommand = {
  name: "list",
  summary: "List the requirements and probes for a Kubernetes version",
  usage: "list",
  options: {},
  async run() {
    throw new UsageError("'list' is not built yet");
  }
};

// src/commands/validate.ts
var validateCommand = {
  name: "validate",
  summary: "Check a PRODUCT.yaml as the CNCF validator does",
  usage: "validate",
  options: {},
  async run() {
    throw new UsageError("'validate' is not built yet");
  }
};

// src/commands/report.ts
var reportCommand = {
  name: "report",
  summary: "Re-render every report from a results.json",
  usage: "report",
  options: {},
  async run() {
    throw new UsageError("'report' is not built yet");
  }
};

// src/commands/run.ts
var runCommand = {
  name: "run",
  summary: "Connect to or provision a cluster, probe every requirement, write the reports",
  usage: "run",
  options: {},
  async run() {
    throw new UsageError("'run' is not built yet");
  }
};

// src/commands/kind.ts
var kindUpCommand = {
  name: "kind up",
  summary: "Create the PR-mode kind cluster with a fake DRA driver",
  usage: "kind up",
  options: {},
  async run() {
    throw new UsageError("'kind up' is not built yet");
  }
};
var kindDownCommand = {
  name: "kind down",
  summary: "Delete the PR-mode kind cluster",
  usage: "kind down",
  options: {},
  async run() {
    throw new UsageError("'kind down' is not built yet");
  }
};

// src/commands/index.ts
var COMMANDS = [
  runCommand,
  validateCommand,
  reportCommand,
  listCommand,
  kindUpCommand,
  kindDownCommand
];

// src/main.ts
function helpText(commands) {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: ai-conformance <command> [flags]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'ai-conformance <command> --help' for a command's flags."
  ].join("\n");
}
function commandHelp(command) {
  const flags = Object.entries(command.options).map(([name, spec]) => `  --${name}${spec.type === "string" ? " VALUE" : ""}`);
  return [`Usage: ai-conformance ${command.usage}`, "", command.summary, "", "Flags:", ...flags].join("\n");
}
async function main(argv) {
  const [name, ...rest] = argv;
  if (name === void 0 || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${helpText(COMMANDS)}
`);
    return name === void 0 ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name) ?? COMMANDS.find((c) => c.name === `${name} ${rest[0]}`);
  if (!command) throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(", ")})`);
  const args = command.name.includes(" ") ? rest.slice(1) : rest;
  const { values, positionals } = parseCommandArgs(command, args);
  if (values.help === true) {
    process.stdout.write(`${commandHelp(command)}
`);
    return 0;
  }
  return command.run(values, positionals);
}

// src/cli.ts
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`ai-conformance: ${oneLine(error)}
`);
    if (process.env.AI_CONFORMANCE_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}
`);
    process.exitCode = exitCodeOf(error);
  }
);
