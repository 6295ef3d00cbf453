/**
 * The `redactions` analyzer and the report's "N secrets redacted in M sessions", from the
 * `redaction.findings` events of the redaction transform. Figures counted by hand below.
 */
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/index.js';
import { redactionsAnalyzer, type RedactionsSnapshot } from '../../src/analyzers/index.js';

const AWS_1 = 'AKIAIOSFODNN7EXAMPLE';
const AWS_2 = 'AKIAABCDEFGHIJKLMNOP';
const GITHUB = `ghp_${'aB3'.repeat(12)}`;

describe('redactions analyzer', () => {
  it('counts secrets and personal data per group and the sessions they were found in; the report says so', async () => {
    const observer = createObserver({ redact: true, analyzers: [redactionsAnalyzer()] });
    const output = (sessionId: string, text: string) => observer.emit({ type: 'tool.end', sessionId, payload: { toolName: 'Bash', status: 'success', output: text } });
    output('s1', `keys ${AWS_1} and ${AWS_2}, mail alice.smith@example.com`); // 2 aws_key + 1 email
    output('s1', `token ${GITHUB}`); // 1 github_token
    output('s2', `export GH=${GITHUB} done`); // 1 github_token
    output('s3', 'write to bob.jones@example.org'); // 1 email
    output('s4', 'nothing to hide here'); // none
    // The findings summaries are emitted while storage receives the batch: a second flush delivers them.
    await observer.flush();
    await observer.flush();
    // secrets: s1 3 + s2 1 = 4 in 2 sessions; personal data: s1 1 + s3 1 = 2 in 2 sessions; 4 events, 3 sessions
    expect(observer.snapshot().redactions as RedactionsSnapshot).toEqual({
      total: 6,
      secrets: { findings: 4, sessions: 2 },
      pii: { findings: 2, sessions: 2 },
      byCategory: { aws_key: 2, github_token: 2, email: 2 },
      events: 4,
      sessions: 3,
      sessionsCapped: false,
    });
    const report = await observer.report();
    expect(report).toContain('| Redacted | 4 secrets redacted in 2 sessions; 2 personal data values redacted in 2 sessions |');
    expect(report).toContain('## Redaction');
    expect(report).not.toContain(AWS_1);
    await observer.close();
  });

  it('nothing redacted: zero figures and no report section', async () => {
    const observer = createObserver({ redact: true, analyzers: [redactionsAnalyzer()] });
    observer.emit({ type: 'tool.end', payload: { toolName: 'Read', status: 'success', output: 'plain' } });
    await observer.flush();
    expect((observer.snapshot().redactions as RedactionsSnapshot).total).toBe(0);
    expect(await observer.report()).not.toContain('Redact');
    await observer.close();
  });
});
