// Entry point: `ai-conformance <command> [flags]`. Every error becomes one line on stderr with
// the exit code DESIGN.md §4 gives; a stack trace only with AI_CONFORMANCE_DEBUG set.

import { exitCodeOf, oneLine } from './errors.js';
import { main } from './main.js';
import { redactSecrets } from './secrets.js';

// Output into a closed pipe (`ai-conformance list | head`) ends the program quietly, as other
// command-line tools do, instead of an EPIPE error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ai-conformance: ${redactSecrets(oneLine(error))}\n`);
    if (process.env.AI_CONFORMANCE_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCodeOf(error);
  },
);
