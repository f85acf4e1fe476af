import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/logger-child.js', import.meta.url));

function run(level: string): Record<string, unknown>[] {
  const out = execFileSync(process.execPath, [CHILD, level], {
    env: { ...process.env, MEDIASPREAD_LOG_LEVEL: '' },
  }).toString();
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logger', () => {
  it('the configured level reaches loggers created before configuration', () => {
    const lines = run('warn');
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['early warn', 'with secrets'],
    );
    assert.equal(lines[0]?.module, 'early-module');
    const verbose = run('info');
    assert.deepEqual(
      verbose.map((l) => l.msg),
      ['early info', 'early warn', 'late info', 'with secrets'],
    );
  });

  it('never writes secret values', () => {
    const text = JSON.stringify(run('warn'));
    for (const secret of ['k-123', 'p-456', 't-789', 's-000']) assert.ok(!text.includes(secret), secret);
    assert.match(text, /\[redacted\]/);
  });
});
