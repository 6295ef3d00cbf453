import { describe, expect, it } from 'vitest';
import { createObserver, defineAnalyzer, eachEvent, type FleetEvent } from '../../src/index.js';

describe('defineAnalyzer and eachEvent', () => {
  it('skips only the event whose handler throws; the rest of its batch is handled', async () => {
    const seen: number[] = [];
    const analyzer = defineAnalyzer({
      name: 'picky',
      filter: { types: ['metric'] },
      onEvent: (event) => {
        const value = (event.payload as { value: number }).value;
        if (value === 3) throw new Error('three');
        seen.push(value);
      },
      snapshot: () => seen.length,
    });
    const errors: string[] = [];
    const observer = createObserver({ analyzers: [analyzer], storage: false, onError: (e) => errors.push(e.message) });
    // One synchronous burst: all six events arrive in one batch.
    for (let i = 1; i <= 6; i++) observer.emit({ type: 'metric', payload: { name: 'm', value: i } });
    await observer.flush();
    expect(seen).toEqual([1, 2, 4, 5, 6]);
    expect(errors).toEqual(['[fleetscope] [analyzer:picky] consume failed: three']);
    await observer.close();
  });

  it('eachEvent reports each throwing event and goes on', () => {
    const reported: unknown[] = [];
    const handled: string[] = [];
    const batch = ['a', 'b', 'c', 'd'].map((id) => ({ id }) as FleetEvent);
    eachEvent(
      batch,
      (event) => {
        if (event.id === 'a' || event.id === 'c') throw new Error(event.id);
        handled.push(event.id);
      },
      { reportError: (error) => reported.push((error as Error).message) },
    );
    expect(handled).toEqual(['b', 'd']);
    expect(reported).toEqual(['a', 'c']);
  });
});
