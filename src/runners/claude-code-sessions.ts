/**
 * Sessions as a Claude Code transcript shows them. A transcript has no start or end marker (the
 * hooks have `SessionStart`/`SessionEnd`; the files do not), so the transcripts runner derives
 * them: a session starts at the first line read for it, and ends once no line has been written
 * for `idleMs` (its end is its last line). A session written to again after it ended starts
 * again (a resumed session: same id, a new `session.start`).
 */
import type { EventInput } from '../core/index.js';

interface OpenSession {
  first: number;
  last: number;
  traceId: string;
  spanId: string;
}

export interface SessionLine {
  sessionId: string;
  timestamp: number;
  traceId: string;
  /** The session's span (the parent of its agents' and calls' spans). */
  spanId: string;
  cwd: string | undefined;
}

export class TranscriptSessions {
  private readonly open = new Map<string, OpenSession>();
  started = 0;
  ended = 0;

  /**
   * @param source the runner's name, the events' `source`
   * @param idleMs a session with no line newer than this is over
   * @param max sessions tracked at once; beyond, the oldest is forgotten (no `session.end`)
   */
  constructor(
    private readonly source: string,
    private readonly idleMs: number,
    private readonly max: number,
  ) {}

  /** Notes a line of a session; pushes its `session.start` to `out` when the session is new. */
  see(line: SessionLine, out: EventInput[]): void {
    const known = this.open.get(line.sessionId);
    if (known !== undefined) {
      if (line.timestamp > known.last) known.last = line.timestamp;
      if (line.timestamp < known.first) known.first = line.timestamp;
      return;
    }
    if (this.open.size >= this.max) this.open.delete(this.open.keys().next().value as string);
    this.open.set(line.sessionId, { first: line.timestamp, last: line.timestamp, traceId: line.traceId, spanId: line.spanId });
    this.started++;
    out.push({
      type: 'session.start',
      timestamp: line.timestamp,
      source: this.source,
      sessionId: line.sessionId,
      agentId: 'main',
      traceId: line.traceId,
      spanId: line.spanId,
      payload: line.cwd !== undefined ? { cwd: line.cwd } : {},
    });
  }

  /** Ends the sessions whose last line is older than `idleMs` at `now`. */
  endIdle(now: number, out: EventInput[]): void {
    for (const [sessionId, s] of this.open) {
      if (now - s.last < this.idleMs) continue;
      this.open.delete(sessionId);
      this.ended++;
      out.push({
        type: 'session.end',
        timestamp: s.last,
        source: this.source,
        sessionId,
        agentId: 'main',
        traceId: s.traceId,
        spanId: s.spanId,
        payload: { reason: 'idle', status: 'success', durationMs: s.last - s.first },
      });
    }
  }
}
