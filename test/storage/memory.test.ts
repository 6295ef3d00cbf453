import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/storage/memory.js';
import { testStorage } from '../../src/testing/index.js';

testStorage('memory', () => memoryStorage({ maxAgeMs: Infinity }), { describe, it, expect, beforeEach, afterEach });
