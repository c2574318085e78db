/** Schema of the local state database (component "state" in schema_migrations). Append only. */
export const STATE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE registrations (
    aor TEXT NOT NULL,
    binding_key TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (aor, binding_key)
  );
  CREATE INDEX registrations_expires ON registrations(expires_at);
  CREATE TABLE pending_dvo (
    device_id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE TABLE resumption_records (
    device_id TEXT PRIMARY KEY,
    expires_at INTEGER,
    data TEXT NOT NULL
  );
  CREATE TABLE pin_failures (
    user_id TEXT PRIMARY KEY,
    locked_until INTEGER,
    data TEXT NOT NULL
  );
  `,
];
