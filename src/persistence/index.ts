/** Persistence: database access, migrations, the input journal, snapshots, read tables, audit log. */
export {
  DatabaseUnavailableError,
  DEFAULT_DATABASE_URL,
  isDatabaseUnavailable,
  openAndMigrate,
  openDatabase,
  parseDatabaseUrl,
  type DialectName,
  type OpenOptions,
  type ParsedUrl,
  type PersistenceDatabase,
} from './database.js';
export { MIGRATIONS, migrateToLatest, migrationProvider, type MigrationOutcome } from './migrations.js';
export { JournalStore, JournalWriteError, type JournalEntry, type JournalOptions } from './journal-store.js';
export { SnapshotStore, type Snapshot, type SnapshotOptions } from './snapshot-store.js';
export { ReadModel, type ApplyOutcome, type BalanceView, type InputEvents, type ReadModelOptions } from './read-model.js';
export { AuditLog, type AuditEntry, type AuditEntryInput, type AuditMode, type AuditQuery } from './audit-log.js';
export type * from './schema.js';
export { QuarantineStore, type QuarantinedInput } from './quarantine-store.js';
