import { it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// vite build strips types without checking them; the unit tests do the checking.
it('type-checks (tsc --noEmit, strict)', () => {
  const root = join(__dirname, '..');
  let out = '';
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(out).toBe('');
}, 120_000);
