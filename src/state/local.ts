/** Opens the local state stores on one SQLite file (`dataDir/state.sqlite`, or ':memory:'). */
import type { Database } from 'better-sqlite3';
import { openSqlite } from '../directory/db.js';
import { runMigrations } from '../directory/migrate.js';
import { STATE_MIGRATIONS } from './migrations.js';
import { LocalPendingDvoStore, LocalPinFailureStore, LocalRegistrationStore, LocalResumptionStore } from './local-stores.js';
import type { StateStores } from './types.js';

export const STATE_COMPONENT = 'state';

export interface LocalStateStores extends StateStores {
  registrations: LocalRegistrationStore;
  pendingDvo: LocalPendingDvoStore;
  resumptions: LocalResumptionStore;
  pinFailures: LocalPinFailureStore;
  db: Database;
}

/** `path`: SQLite file, or ':memory:'. `db`: use an open connection instead (not closed by close()). */
export function openLocalStateStores(path: string | { db: Database }): LocalStateStores {
  const owns = typeof path === 'string';
  const db = typeof path === 'string' ? openSqlite(path) : path.db;
  runMigrations(db, STATE_COMPONENT, STATE_MIGRATIONS);
  return {
    db,
    registrations: new LocalRegistrationStore(db),
    pendingDvo: new LocalPendingDvoStore(db),
    resumptions: new LocalResumptionStore(db),
    pinFailures: new LocalPinFailureStore(db),
    async close() {
      if (owns && db.open) db.close();
    },
  };
}
