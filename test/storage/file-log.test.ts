import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileLogStorage } from '../../src/storage/file-log.js';
import { testStorage } from '../../src/testing/index.js';

const root = mkdtempSync(join(tmpdir(), 'fleetscope-file-log-'));
let n = 0;
const freshDir = () => join(root, `store-${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

testStorage('file-log', () => fileLogStorage({ dir: freshDir(), maxAgeMs: Infinity }), { describe, it, expect, beforeEach, afterEach });
testStorage('file-log (tiny segments, gzip)', () => fileLogStorage({ dir: freshDir(), maxAgeMs: Infinity, maxSegmentBytes: 1024, gzip: true, gzipAfterMs: 0 }), {
  describe,
  it,
  expect,
  beforeEach,
  afterEach,
});
