// SIGINT/SIGTERM during a run. The first stops the probes; cleanup still runs. The same signal
// again forces an exit: the partial results are written first (bounded in time) and the command
// that deletes what the run may have left is printed. A different signal does not force: GitHub
// Actions cancels a job with SIGINT and then SIGTERM, and the cleanup needs that time. One more
// signal while the partial results are being written exits at once.

/** The longest a forced exit spends writing partial results before it exits anyway. */
export const FORCED_EXIT_MS = 10_000;

export interface TrapOptions {
  controller: AbortController;
  say: (line: string) => void;
  /** Writes the partial results and prints the cleanup command (the second signal). */
  onForcedExit: (signal: NodeJS.Signals) => Promise<void>;
  exit?: (code: number) => void;
}

/** The abort reason of a run stopped by a signal: the run's exit code follows the signal. */
export class CancelledBySignal extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`cancelled by ${signal}`);
  }
}

/** 128 + the signal number, as shells and kubectl report a process ended by it: 130 SIGINT, 143 SIGTERM. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** Installs the handlers; returns the function that removes them. */
export function trapSignals(options: TrapOptions): () => void {
  const { controller, say } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const received = new Set<NodeJS.Signals>();
  let forcing = false;
  const handler = (signal: NodeJS.Signals) => {
    const again = received.has(signal);
    received.add(signal);
    if (forcing) {
      say(`ai-conformance: ${signal} again: exiting at once`);
      exit(exitCodeForSignal(signal));
      return;
    }
    if (again) {
      forcing = true;
      say(
        `ai-conformance: ${signal} again: exiting before cleanup has finished; writing the partial results first (send it once more to exit at once)`,
      );
      const timer = setTimeout(() => {
        say(`ai-conformance: the partial results took longer than ${FORCED_EXIT_MS / 1000}s; exiting without them`);
        exit(exitCodeForSignal(signal));
      }, FORCED_EXIT_MS);
      void options
        .onForcedExit(signal)
        .catch((error: unknown) =>
          say(
            `ai-conformance: could not write the partial results: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
          ),
        )
        .finally(() => {
          clearTimeout(timer);
          exit(exitCodeForSignal(signal));
        });
      return;
    }
    if (controller.signal.aborted) {
      say(`ai-conformance: ${signal} received: still cleaning up (send ${signal} again to exit at once)`);
      return;
    }
    say(`ai-conformance: ${signal} received: stopping the probes and cleaning up (send it again to exit at once)`);
    controller.abort(new CancelledBySignal(signal));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
