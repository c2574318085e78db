/**
 * Schema of the API's own tables, kept in the directory's SQLite file (so that a provisioning
 * change and its audit record commit in one transaction). Component "api" of the shared
 * migration runner; never edit a released entry, append a new one.
 */
export const API_COMPONENT = 'api';

export const API_MIGRATIONS: readonly string[] = [
  // 1: accounts, sessions, tokens, audit log
  `
  CREATE TABLE api_accounts (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    -- An end user's login is tied to the EndUser it may manage (and goes away with it).
    user_id TEXT UNIQUE REFERENCES users(user_id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((role = 'user') = (user_id IS NOT NULL))
  );

  -- Browser sessions: only a hash of the cookie value is stored.
  CREATE TABLE api_sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES api_accounts(username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX api_sessions_username ON api_sessions(username);

  -- Bearer tokens for scripts: "ma_<id>_<secret>", only a hash of the secret is stored.
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    username TEXT NOT NULL REFERENCES api_accounts(username) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE INDEX api_tokens_username ON api_tokens(username);

  -- Who changed what, when. Written in the same transaction as the change it records;
  -- failed attempts are recorded too (ok = 0).
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    via TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    ok INTEGER NOT NULL,
    detail TEXT
  );
  CREATE INDEX audit_log_at ON audit_log(at);
  `,
];
