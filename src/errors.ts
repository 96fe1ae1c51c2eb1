// Errors that end the program with one clear line and a specific exit code (DESIGN.md §3).

/** Bad usage or input: unknown flag, unreadable file, malformed YAML, unknown version. Exit 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** The cluster cannot be reached or refuses us. Exit 3. */
export class ClusterUnreachableError extends Error {
  readonly exitCode = 3;
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ClusterUnreachableError) return error.exitCode;
  return 1;
}

/** A single line, safe to print: the first line of the message, never a stack trace. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'unknown error'
  );
}
