/**
 * PostgreSQL: a database is migrated while other schemas of the same cluster are created and
 * dropped (other tenants, other tests). Kysely's own introspector, which its Migrator asks for its
 * tables, reads the whole catalog and fails with 3F000 on a schema dropped meanwhile; the project's
 * (search-path-dialect.ts) reads only the search_path's schemas, so migrating must not fail.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import { openAndMigrate } from './database.js';
import { describePostgres, PG_URL } from '../test-kit/test-databases.js';

describePostgres('migrations beside schemas dropped concurrently (PostgreSQL)', () => {
  it('migrates 24 fresh schemas while another connection creates and drops schemas without pause', async () => {
    const churn = new pg.Client({ connectionString: PG_URL });
    await churn.connect();
    const prefix = `pt_churn_${randomBytes(4).toString('hex')}`;
    let running = true;
    let dropped = 0;
    const churning = (async () => {
      for (let i = 0; running; i += 1) {
        await churn.query(`create schema "${prefix}_${i}"; create table "${prefix}_${i}".t (x int)`);
        await churn.query(`drop schema "${prefix}_${i}" cascade`);
        dropped += 1;
      }
    })();
    const ours: string[] = [];
    try {
      for (let n = 0; n < 24; n += 1) {
        const schema = `pt_mig_${randomBytes(6).toString('hex')}`;
        ours.push(schema);
        const opened = await openAndMigrate(PG_URL, { schema });
        await opened.close();
      }
    } finally {
      running = false;
      await churning;
      for (const schema of ours) await churn.query(`drop schema if exists "${schema}" cascade`);
      await churn.end();
    }
    expect(dropped).toBeGreaterThan(24);
  }, 120_000);
});
