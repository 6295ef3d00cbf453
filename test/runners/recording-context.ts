/** A RunnerContext that records what a runner emits, for runner tests. */
import type { EventInput, RunnerContext } from '../../src/core/index.js';

export interface RecordingContext extends RunnerContext {
  events: EventInput[];
  errors: { error: unknown; operation?: string }[];
  controller: AbortController;
}

export function recordingContext(): RecordingContext {
  const controller = new AbortController();
  const events: EventInput[] = [];
  const errors: { error: unknown; operation?: string }[] = [];
  return {
    events,
    errors,
    controller,
    signal: controller.signal,
    emit: (event) => void events.push(event),
    emitMany: (batch) => void events.push(...batch),
    reportError: (error, operation) => void errors.push({ error, operation }),
  };
}

/** Waits until `predicate` holds, checking every 10 ms; fails after `timeoutMs` (not a timing assertion). */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
