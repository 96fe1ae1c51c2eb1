// `run`: parse every flag into a RunConfig (src/run/config.ts), run it through the one
// composition root (src/run/execute.ts) with the process's signals trapped, and exit 0/1/2/3 as
// DESIGN.md §4 says (130/143 when cancelled by SIGINT/SIGTERM).

import path from 'node:path';
import { noArguments, type Command } from './command.js';
import { exitCodeFor } from '../model/results.js';
import { printOutcome } from './outcome.js';
import { REPORT_FILES, writeReports } from '../report/index.js';
import { newRunId, type RunHandle } from '../runner/index.js';
import { CancelledBySignal, exitCodeForSignal, trapSignals } from '../runner/signals.js';
import { oneLine } from '../errors.js';
import { RUN_LABEL } from '../kube/types.js';
import { RUN_FLAGS, parseRunConfig } from '../run/config.js';
import { executeRun } from '../run/execute.js';
import { redactSecrets } from '../secrets.js';
import { removeWorkDirsNow } from '../cluster/workdirs.js';

// Lines carry cluster text (detection failures, cleanup errors) into CI logs.
const say = (line: string) => process.stderr.write(`${redactSecrets(line)}\n`);

/** A run cancelled by SIGINT/SIGTERM is never a success: it exits 130/143, as shells and kubectl do. */
function cancelledCode(signal: AbortSignal): number | undefined {
  if (!signal.aborted) return undefined;
  return signal.reason instanceof CancelledBySignal ? exitCodeForSignal(signal.reason.signal) : 1;
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
    const handle: RunHandle = {};
    // A forced exit (the same signal twice) still leaves partial reports and a cleanup command
    // that works on this cluster (it names only kinds the run created, which the cluster serves).
    const untrap = trapSignals({
      controller,
      say,
      onForcedExit: async (signal) => {
        const partial = await handle.snapshot?.(`${signal} received twice: exited before the run and its cleanup finished`);
        if (partial && config.reports) {
          await writeReports(partial, { ...config.reports, repository: config.github });
          say(
            `ai-conformance: partial results written to ${path.resolve(config.reports.outDir)} (${Object.values(REPORT_FILES).join(', ')})`,
          );
        } else if (!partial) {
          say('ai-conformance: no probe had started: no results written');
        }
        const command = partial?.cleanup?.command ?? `kubectl delete namespaces -l ${RUN_LABEL}=${runId} --ignore-not-found`;
        const kind =
          config.cluster.mode === 'kind' || config.cluster.mode === 'auto'
            ? ' (and any kind cluster this run created: ai-conformance kind down)'
            : '';
        say(`ai-conformance: delete what this run may have left with: ${command}${kind}`);
        // The kind work directory holds the cluster's admin kubeconfig: never left in /tmp.
        removeWorkDirsNow();
      },
    });
    try {
      const { results, written } = await executeRun(config, { signal: controller.signal, runId, log: say, handle });
      if (written) printOutcome(results, written, config.reports?.outDir ?? '.');
      return cancelledCode(controller.signal) ?? exitCodeFor(results);
    } catch (error) {
      // Stopped by a signal halfway through (e.g. while provisioning): still the signal's exit code.
      const code = cancelledCode(controller.signal);
      if (code === undefined) throw error;
      say(`ai-conformance: ${oneLine(error)}`);
      return code;
    } finally {
      untrap();
    }
  },
};
