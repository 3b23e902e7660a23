/**
 * Kysely's PostgreSQL dialect with an introspector that lists only the tables of the schemas on the
 * connection's search_path (`current_schemas(false)`: the schema a database was opened with, else
 * `public`).
 *
 * Kysely's own `PostgresIntrospector.getTables` reads every schema of the cluster and filters them
 * with `has_schema_privilege(nspname, 'USAGE')`, which fails with 3F000 ("schema … does not exist")
 * when another schema is dropped while the catalog is read — another tenant's, another test's. Its
 * Migrator calls it on every run to find its own tables, so a migration could fail for something that
 * had nothing to do with it. Here the catalog is joined by oid and filtered by name, with no
 * privilege function, so a concurrent drop elsewhere cannot fail it. Columns are not listed: the
 * Migrator reads names and schemas only, and nothing else here introspects.
 */
import { PostgresDialect, sql, type DatabaseIntrospector, type DatabaseMetadataOptions, type Kysely, type TableMetadata } from 'kysely';

const KYSELY_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

export class SearchPathPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    const inner = super.createIntrospector(db);
    return {
      getSchemas: () => inner.getSchemas(),
      getTables: (options) => tablesOnSearchPath(db, options),
      getMetadata: async (options) => ({ tables: await tablesOnSearchPath(db, options) }),
    };
  }
}

async function tablesOnSearchPath(db: Kysely<any>, options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
  const { rows } = await sql<{ schema: string; name: string; kind: string }>`
    select n.nspname as schema, c.relname as name, c.relkind as kind
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'v', 'p') and n.nspname = any(current_schemas(false))
    order by n.nspname, c.relname`.execute(db);
  return rows
    .filter((r) => options.withInternalKyselyTables === true || !KYSELY_TABLES.has(r.name))
    .map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v', columns: [] }));
}
