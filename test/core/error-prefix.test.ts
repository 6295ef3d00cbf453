import { afterEach, describe, expect, it, vi } from 'vitest';
import { createObserver, defineAnalyzer } from '../../src/index.js';

afterEach(() => vi.restoreAllMocks());

describe('the default error handler', () => {
  it('prints one [fleetscope] prefix, also for a plugin error whose message is already prefixed', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const failing = defineAnalyzer({
      name: 'failing',
      onEvent: () => {
        throw new Error('[fleetscope] [failing] boom');
      },
      snapshot: () => ({}),
    });
    const observer = createObserver({ analyzers: [failing], storage: false });
    observer.emit({ type: 'log', payload: { message: 'x' } });
    await observer.flush();
    await observer.close();
    const line = lines.find((l) => l.includes('boom'));
    expect(line).toBe('[fleetscope] [analyzer:failing] consume failed: [failing] boom\n');
  });
});
