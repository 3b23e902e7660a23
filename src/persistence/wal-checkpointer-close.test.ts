import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-kit/data-paths.js';
import { sourceScript } from '../test-kit/source-script.js';

/**
 * A process whose last work is closing a SQLite database that has written enough to start its WAL
 * checkpointer (a worker thread, unref'd while it runs): the close must still finish and the lines
 * after it run. It once ended the process with the close's promise unsettled (exit code 13), which
 * in-process tests never see: their runner keeps the event loop alive.
 */
it('a process that writes, closes its SQLite database and has nothing else to do runs past the close and exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-wal-close-'));
  try {
    const database = pathToFileURL(join(PROJECT_ROOT, 'src/persistence/database.ts')).href;
    const script = join(dir, 'close.mts');
    writeFileSync(
      script,
      `import { openAndMigrate } from ${JSON.stringify(database)};
const opened = await openAndMigrate(${JSON.stringify(`sqlite:${join(dir, 'x.db')}`)}, {});
for (let i = 0; i < 400; i++) await opened.db.transaction().execute((tx) => tx.insertInto('journal').values({ seq: i + 1, at: i, input: '{}' }).execute());
await opened.close();
console.log('closed');
`,
    );
    const run = spawnSync(process.execPath, [await sourceScript(script)], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('closed\n');
    expect(run.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
