// How the typed endings of waits and API calls become a check's verdict, in one place. A wait
// that ends because the cluster answered "never" (a controller rejected the object, the scheduler
// cannot place a pod) fails the check; a wait that only ran out of time fails it when the time was
// the requirement's, and is an error when nothing can be concluded; an API call that could not be
// made says nothing about the cluster (error). Use them as `.catch(...)` handlers on the wait.

import { ConditionFailed, WaitTimeout } from '../../kube/types.js';
import { CheckFailure } from '../types.js';
import { apiErrorOf } from './api-error.js';

/** The pod will not get where it was asked to go; `kind` lets callers judge what that means. */
export type PodProblemKind = 'failed' | 'cannot-start' | 'unschedulable';

export class PodProblem extends Error {
  constructor(
    readonly kind: PodProblemKind,
    message: string,
  ) {
    super(message);
  }
}

/** A controller that answered "rejected"/"failed" gave the cluster's verdict: the check fails. */
export function impossibleFails(error: unknown): never {
  if (error instanceof ConditionFailed) throw new CheckFailure(error.message);
  throw error;
}

/** The scheduler cannot place the pod: that is the cluster's answer, so the check fails. */
export function unschedulableFails(error: unknown): never {
  if (error instanceof PodProblem && error.kind === 'unschedulable') throw new CheckFailure(error.message);
  throw error;
}

/**
 * A pod pinned to a node that cannot be placed there shows nothing (the node may be full or
 * gone): the comparison it was for could not be made, so the check ends in error.
 */
export function pinnedUnplaceable(node: string, what: string): (error: unknown) => never {
  return (error: unknown) => {
    if (error instanceof PodProblem && error.kind === 'unschedulable') {
      throw new Error(`could not check ${what}: a pod pinned to node ${node} could not be placed there (${error.message})`);
    }
    throw error;
  };
}

/**
 * The wait's time was the requirement's own (e.g. "scales up within 5 minutes"): running out of
 * it fails the check; `why` says what was seen, and may ask the cluster.
 */
export function timeoutFails(why: string | (() => Promise<string>)): (error: unknown) => Promise<never> {
  return async (error: unknown) => {
    if (!(error instanceof WaitTimeout)) throw error;
    throw new CheckFailure(typeof why === 'string' ? why : await why());
  };
}

/**
 * For something that must NOT happen within a window: resolves undefined when the wait timed
 * out (it did not happen), or with what happened.
 */
export async function unlessTimedOut<T>(wait: Promise<T>): Promise<T | undefined> {
  try {
    return await wait;
  } catch (error) {
    if (error instanceof WaitTimeout) return undefined;
    throw error;
  }
}

/** Whether the API answered 404 Not Found. */
export function isNotFound(error: unknown): boolean {
  return apiErrorOf(error).code === 404;
}

/** What a bounded backoff (`untilAnswered`) ended with when no answer came. */
export interface Unanswered {
  attempts: number;
  lastError?: unknown;
}

/** What was asked, for the verdict when no answer came. */
export interface Asked {
  /** "query Prometheus ..." in "could not query Prometheus ...". */
  what: string;
  /** The query itself, when the message should name it. */
  query?: string;
  /** The failure message when the system was asked and had nothing; gets ": <last error>" or "". */
  notCollected: (lastError: string) => string;
  /** Statuses that mean "not there yet" rather than "could not ask" (404 for a metrics API). */
  meansNotYet?: readonly number[];
}

/**
 * No answer by the deadline. If the last query failed (other than with a status that means
 * "not yet"), the system could not be asked and nothing is known: error. Otherwise it was asked
 * and had nothing: the check fails.
 */
export function unansweredVerdict(outcome: Unanswered, asked: Asked): never {
  const last = outcome.lastError === undefined ? undefined : apiErrorOf(outcome.lastError);
  if (last !== undefined && (last.code === undefined || !(asked.meansNotYet ?? []).includes(last.code))) {
    const queries = `${outcome.attempts} queries${asked.query ? ` of ${asked.query}` : ''}`;
    throw new Error(`could not ${asked.what}: the last of ${queries} failed${last.code ? ` (HTTP ${last.code})` : ''}: ${last.message}`);
  }
  throw new CheckFailure(asked.notCollected(last ? `: ${last.message}` : ''));
}
