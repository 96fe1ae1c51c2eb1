// `run`: parse every flag into a RunConfig (src/run/config.ts), run it through the one
// composition root (src/run/execute.ts) with the process's signals trapped, and exit 0/1/2/3 as
// DESIGN.md §4 says.

import path from 'node:path';
import { noArguments, type Command } from './command.js';
import { exitCodeFor, isReadyToSubmit } from '../model/results.js';
import { REPORT_FILES } from '../report/index.js';
import { newRunId } from '../runner/index.js';
import { RUN_FLAGS, parseRunConfig } from '../run/config.js';
import { executeRun } from '../run/execute.js';
import { redactSecrets } from '../secrets.js';

// Lines carry cluster text (detection failures, cleanup errors) into CI logs.
const say = (line: string) => process.stderr.write(`${redactSecrets(line)}\n`);

/**
 * Aborts on the first SIGINT/SIGTERM (cleanup still runs); the same signal again exits at once.
 * A different one does not: GitHub Actions cancels a job with SIGINT and then SIGTERM, and the
 * cleanup needs that time.
 */
function trapSignals(controller: AbortController, runLabel: () => string): () => void {
  const received = new Set<NodeJS.Signals>();
  const handler = (signal: NodeJS.Signals) => {
    const again = received.has(signal);
    received.add(signal);
    if (controller.signal.aborted && !again) {
      say(`ai-conformance: ${signal} received: still cleaning up (send ${signal} again to exit at once)`);
      return;
    }
    if (again) {
      say(
        `ai-conformance: ${signal} again: exiting without cleanup; delete what is left with: kubectl delete ns,clusterqueues,resourceflavors,queues -l ${runLabel()} (and any kind cluster this run created: ai-conformance kind down)`,
      );
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    say(`ai-conformance: ${signal} received: stopping the probes and cleaning up (send it again to exit at once)`);
    controller.abort(new Error(`cancelled by ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Connect to or provision a cluster, probe every requirement, write the reports',
  usage: 'run [flags]',
  flags: RUN_FLAGS,
  examples: [
    'run --kubeconfig ~/.kube/config --context gpu-prod --accelerator nvidia --out results/',
    'run --cluster kind --kubernetes-version 1.35 --addons --out results/',
    'run --only gang_scheduling --probe-option gang-scheduling.window-ms=60000',
  ],
  async run(values, positionals) {
    noArguments(this, positionals);
    // Everything that can be checked without a cluster is checked first: bad input exits 2 at once.
    const config = await parseRunConfig(values);

    const controller = new AbortController();
    const runId = newRunId();
    const untrap = trapSignals(controller, () => `ai-conformance.cncf.io/run=${runId}`);
    try {
      const { results } = await executeRun(config, { signal: controller.signal, runId, log: say });
      const outDir = config.reports?.outDir ?? '.';
      process.stdout.write(`Wrote ${Object.values(REPORT_FILES).join(', ')} to ${path.resolve(outDir)}\n`);
      const ready = isReadyToSubmit(results);
      process.stdout.write(`${ready ? 'Ready to submit.' : 'Not ready to submit: see summary.md.'}${results.cluster.simulated ? ' (simulated cluster)' : ''}\n`);
      // A cancelled run is never a success, whatever its levels.
      return controller.signal.aborted ? Math.max(1, exitCodeFor(results)) : exitCodeFor(results);
    } finally {
      untrap();
    }
  },
};
