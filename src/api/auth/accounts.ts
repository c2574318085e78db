/**
 * Accounts of the web pages and the REST API: administrators, and end users who manage only
 * their own settings (self-care). Sessions (cookie) and bearer tokens. Secrets are stored hashed.
 */
import type { Database } from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import { dummyHash, randomSecret, sha256, verifyPassword } from './passwords.js';

export type Role = 'admin' | 'user';

export interface Account {
  username: string;
  role: Role;
  /** The EndUser an end-user account manages (null for administrators). */
  userId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Session {
  account: Account;
  csrfToken: string;
  expiresAt: number;
}

export interface ApiToken {
  id: string;
  username: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

interface AccountRow {
  username: string;
  role: Role;
  user_id: string | null;
  password_hash: string;
  created_at: string;
  updated_at: string;
}

const toAccount = (r: AccountRow): Account => ({ username: r.username, role: r.role, userId: r.user_id, createdAt: r.created_at, updatedAt: r.updated_at });

export const USERNAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;

export class AccountStore {
  constructor(
    private readonly db: Database,
    /** Session lifetime. */
    private readonly sessionTtlMs = 8 * 3600_000,
  ) {}

  get(username: string): Account | undefined {
    const r = this.db.prepare('SELECT * FROM api_accounts WHERE username = ?').get(username) as AccountRow | undefined;
    return r ? toAccount(r) : undefined;
  }

  byUserId(userId: string): Account | undefined {
    const r = this.db.prepare('SELECT * FROM api_accounts WHERE user_id = ?').get(userId) as AccountRow | undefined;
    return r ? toAccount(r) : undefined;
  }

  list(): Account[] {
    return (this.db.prepare('SELECT * FROM api_accounts ORDER BY username').all() as AccountRow[]).map(toAccount);
  }

  countAdmins(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM api_accounts WHERE role = 'admin'").get() as { n: number }).n;
  }

  /** Creates an account (the password already hashed: hashing is async, writes are not). */
  create(a: { username: string; role: Role; userId?: string | null; passwordHash: string }): Account {
    if (!USERNAME_RE.test(a.username)) throw new ApiError('invalid', 'username: 1 to 64 of A-Z a-z 0-9 . _ @ -', [{ field: 'username', message: '1 to 64 of A-Z a-z 0-9 . _ @ -' }]);
    const userId = a.role === 'user' ? (a.userId ?? null) : null;
    if (a.role === 'user' && userId === null) throw new ApiError('invalid', 'userId: required for an end-user account', [{ field: 'userId', message: 'required for an end-user account' }]);
    if (userId !== null && this.db.prepare('SELECT 1 FROM users WHERE user_id = ?').get(userId) === undefined) {
      throw new ApiError('invalid', `userId: "${userId}" does not exist`, [{ field: 'userId', message: `"${userId}" does not exist` }]);
    }
    if (this.get(a.username)) throw new ApiError('conflict', `account "${a.username}" already exists`);
    if (userId !== null && this.byUserId(userId)) throw new ApiError('conflict', `user "${userId}" already has an account ("${this.byUserId(userId)!.username}")`);
    const now = new Date().toISOString();
    this.db
      .prepare('INSERT INTO api_accounts (username, role, user_id, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(a.username, a.role, userId, a.passwordHash, now, now);
    return this.get(a.username)!;
  }

  /** New password: every session and token of the account is revoked. */
  setPasswordHash(username: string, passwordHash: string): void {
    const n = this.db.prepare('UPDATE api_accounts SET password_hash = ?, updated_at = ? WHERE username = ?').run(passwordHash, new Date().toISOString(), username).changes;
    if (n === 0) throw new ApiError('not_found', `account "${username}" not found`);
    this.db.prepare('DELETE FROM api_sessions WHERE username = ?').run(username);
  }

  delete(username: string): boolean {
    return this.db.prepare('DELETE FROM api_accounts WHERE username = ?').run(username).changes > 0;
  }

  /** The account if the password is right (same cost whether or not the account exists). */
  async verify(username: string, password: string): Promise<Account | undefined> {
    const r = this.db.prepare('SELECT * FROM api_accounts WHERE username = ?').get(username) as AccountRow | undefined;
    const ok = await verifyPassword(password, r?.password_hash ?? (await dummyHash()));
    return r && ok ? toAccount(r) : undefined;
  }

  // ---- sessions ----------------------------------------------------------------------------

  createSession(username: string, now = Date.now()): { id: string; csrfToken: string; expiresAt: number } {
    const id = randomSecret();
    const csrfToken = randomSecret(24);
    const expiresAt = now + this.sessionTtlMs;
    this.db.prepare('DELETE FROM api_sessions WHERE expires_at <= ?').run(now);
    this.db.prepare('INSERT INTO api_sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(sha256(id), username, csrfToken, now, expiresAt);
    return { id, csrfToken, expiresAt };
  }

  session(id: string, now = Date.now()): Session | undefined {
    const s = this.db.prepare('SELECT username, csrf_token, expires_at FROM api_sessions WHERE id_hash = ?').get(sha256(id)) as
      | { username: string; csrf_token: string; expires_at: number }
      | undefined;
    if (!s || s.expires_at <= now) return undefined;
    const account = this.get(s.username);
    return account ? { account, csrfToken: s.csrf_token, expiresAt: s.expires_at } : undefined;
  }

  deleteSession(id: string): void {
    this.db.prepare('DELETE FROM api_sessions WHERE id_hash = ?').run(sha256(id));
  }

  // ---- tokens ------------------------------------------------------------------------------

  /** Returns the token text once; only its hash is kept. */
  createToken(username: string, name = ''): { token: string; info: ApiToken } {
    if (!this.get(username)) throw new ApiError('not_found', `account "${username}" not found`);
    const id = randomBytes(6).toString('hex');
    const secret = randomSecret();
    const now = new Date().toISOString();
    this.db.prepare('INSERT INTO api_tokens (id, secret_hash, username, name, created_at) VALUES (?, ?, ?, ?, ?)').run(id, sha256(secret), username, name, now);
    return { token: `ma_${id}_${secret}`, info: { id, username, name, createdAt: now, lastUsedAt: null } };
  }

  verifyToken(token: string): Account | undefined {
    const m = /^ma_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$/.exec(token);
    if (!m) return undefined;
    const r = this.db.prepare('SELECT username, secret_hash FROM api_tokens WHERE id = ?').get(m[1]) as { username: string; secret_hash: string } | undefined;
    if (!r) return undefined;
    const a = Buffer.from(sha256(m[2]!), 'hex');
    const b = Buffer.from(r.secret_hash, 'hex');
    if (a.length !== b.length || !a.equals(b)) return undefined;
    try {
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(new Date().toISOString(), m[1]);
    } catch {
      // A read-only store must not lock administrators out of reading.
    }
    return this.get(r.username);
  }

  listTokens(username?: string): ApiToken[] {
    const rows = (
      username === undefined
        ? this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at').all()
        : this.db.prepare('SELECT * FROM api_tokens WHERE username = ? ORDER BY created_at').all(username)
    ) as { id: string; username: string; name: string; created_at: string; last_used_at: string | null }[];
    return rows.map((r) => ({ id: r.id, username: r.username, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
  }

  getToken(id: string): ApiToken | undefined {
    return this.listTokens().find((t) => t.id === id);
  }

  deleteToken(id: string): boolean {
    return this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes > 0;
  }
}
