/**
 * "Now" on the events' own time line, for how long something has been running (an agent never
 * ended, a span left open): the observer's clock minus the lag with which the newest event
 * arrived. Live, events arrive as they happen (a lag of a poll interval at most) and this is the
 * clock, so an agent that went quiet is seen to run on. Replaying history (transcripts read
 * months later, a store opened by `fleetscope report`), it is the newest event's time plus the
 * time since it was read, so an agent open at the end of the history has run for as long as the
 * history shows, not for months.
 */
import type { FleetEvent } from '../core/index.js';

export class EventClock {
  private newest = -Infinity;
  private lagMs = 0;

  /** Notes a batch received at `now` (the observer's clock). */
  seeBatch(batch: readonly FleetEvent[], now: number): void {
    let newest = this.newest;
    for (let i = 0; i < batch.length; i++) if (batch[i]!.timestamp > newest) newest = batch[i]!.timestamp;
    this.see(newest, now);
  }

  /** Notes an event time received at `now`. */
  see(timestamp: number, now: number): void {
    if (!(timestamp > this.newest)) return;
    this.newest = timestamp;
    this.lagMs = Math.max(0, now - timestamp);
  }

  /** The events' "now" when the observer's clock reads `now`. */
  at(now: number): number {
    return now - this.lagMs;
  }
}
