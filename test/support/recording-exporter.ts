/** An exporter that keeps every event it is given, for tests. Not a test file itself. */
import type { Exporter, FleetEvent } from '../../src/index.js';

export function recordingExporter(name = 'rec'): Exporter & { events: FleetEvent[] } {
  const events: FleetEvent[] = [];
  return {
    name,
    events,
    async export(batch) {
      events.push(...batch);
      return { code: 'success' };
    },
    async shutdown() {},
  };
}
