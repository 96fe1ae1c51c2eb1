// Entry point: `ai-conformance <command> [flags]` (error handling in runCli, src/main.ts).

import { runCli } from './main.js';

// Output into a closed pipe (`ai-conformance list | head`) ends the program quietly, as other
// command-line tools do, instead of an EPIPE error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
