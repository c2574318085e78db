#!/usr/bin/env node
/**
 * mobility-anchor-admin: provisioning from scripts. Two modes, same commands:
 *  - direct (default): opens the SQLite directory under the configured data dir and runs the
 *    REST API in-process (no network), acting as the local administrator "cli:<os user>";
 *  - remote: --url http://host:port --token ma_… (or MA_API_URL / MA_API_TOKEN) talks to a
 *    running server's REST API.
 * Every write is audit-logged either way. Run with --help for the commands.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { dataPaths } from '../config/paths.js';
import { Directory } from '../directory/directory.js';
import { createHttpApp } from '../api/app.js';
import { restoreDatabase } from '../api/backup.js';

const USAGE = `usage: mobility-anchor-admin [options] <command> [args]

options:
  --config FILE        server config (default: $MA_CONFIG or config/default.yaml); gives dataDir
  --data-dir DIR       data directory (overrides the config; also $MA_DATA_DIR)
  --url URL            use a running server's REST API instead (also $MA_API_URL)
  --token TOKEN        API token for --url (also $MA_API_TOKEN)

bootstrap and accounts:
  admin create NAME [--password-stdin]     create an administrator; password from --password-stdin,
                                           or $MA_ADMIN_PASSWORD
  account list
  account create NAME --role admin|user [--user-id USERID] [--password-stdin]
  account passwd NAME [--password-stdin]
  account delete NAME
  token create [--user NAME] [--name LABEL]   prints the token once
  token list | token revoke ID

provisioning (ENTITY: partitions css lines users devices sip-credentials rd-profiles
remote-destinations access-lists ring-schedules mobility-profiles route-patterns trunks
directed-parks efa-numbers):
  list ENTITY [field=value ...]
  get ENTITY ID
  create ENTITY JSON|@FILE|-
  update ENTITY ID JSON|@FILE|-
  delete ENTITY ID
  snr USERID on|off [RD_ID]                turn Single Number Reach on/off (all RDs or one)
  params                                   show service parameters (effective, default, range)
  params set KEY=VALUE ...                 VALUE is JSON (numbers, true/false, lists) or text
  params reset KEY
  export [--format json|csv] [--entity ENTITY] [--out FILE]
  import FILE [--entity ENTITY] [--dry-run]    .json, .yaml/.yml, or .csv (with --entity)
  audit [--limit N]
  calls                                    active calls (remote mode)
  backup FILE                              consistent copy of the database (online)
  restore FILE                             replace the database (direct mode; stop the server first)
  openapi                                  print the OpenAPI document`;

class UsageError extends Error {}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}
type Send = (method: string, path: string, body?: unknown, contentType?: string) => Promise<Reply>;

function takeOpt(args: string[], name: string, hasValue = true): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) {
    const eq = args.findIndex((a) => a.startsWith(`${name}=`));
    if (eq < 0) return undefined;
    const v = args[eq]!.slice(name.length + 1);
    args.splice(eq, 1);
    return v;
  }
  if (!hasValue) {
    args.splice(i, 1);
    return 'true';
  }
  const v = args[i + 1];
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

function readStdin(): string {
  return readFileSync(0, 'utf8');
}

function password(args: string[], envVar?: string): string {
  if (takeOpt(args, '--password-stdin', false)) return readStdin().replace(/\r?\n$/, '');
  const p = takeOpt(args, '--password');
  if (p !== undefined) return p;
  if (envVar && process.env[envVar]) return process.env[envVar]!;
  throw new UsageError(`give the password with --password-stdin${envVar ? ` or $${envVar}` : ''}`);
}

function jsonArg(arg: string | undefined): unknown {
  if (arg === undefined) throw new UsageError('missing JSON argument');
  const text = arg === '-' ? readStdin() : arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`not valid JSON: ${(e as Error).message}`);
  }
}

function parseValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

const enc = encodeURIComponent;

async function run(argv: string[]): Promise<number> {
  const args = [...argv];
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return args.length === 0 ? 2 : 0;
  }
  const url = takeOpt(args, '--url') ?? process.env.MA_API_URL;
  const token = takeOpt(args, '--token') ?? process.env.MA_API_TOKEN;
  const configPath = takeOpt(args, '--config');
  const dataDirOpt = takeOpt(args, '--data-dir');
  const [cmd, sub, ...rest] = args;

  // restore works on the file, before anything opens (and migrates) it.
  if (cmd === 'restore') {
    if (url) throw new UsageError('restore works on the database file: run it on the server host without --url');
    const file = sub ?? '';
    if (!file) throw new UsageError('restore FILE');
    const config = loadConfig(configPath);
    const paths = dataPaths({ dataDir: dataDirOpt ?? config.dataDir });
    const r = await restoreDatabase(file, paths.directoryDb);
    process.stdout.write(`restored ${file} into ${paths.directoryDb} (${r.pages} pages); start the server again\n`);
    return 0;
  }

  let send: Send;
  let close = async (): Promise<void> => {};
  if (url) {
    if (!token) throw new UsageError('--url needs --token (or $MA_API_TOKEN)');
    const base = url.replace(/\/+$/, '');
    send = async (method, path, body, contentType) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      let payload: string | undefined;
      if (body !== undefined) {
        headers['content-type'] = contentType ?? 'application/json';
        payload = typeof body === 'string' ? body : JSON.stringify(body);
      }
      const res = await fetch(`${base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: Buffer.from(await res.arrayBuffer()) };
    };
  } else {
    const config = loadConfig(configPath);
    const paths = dataPaths({ dataDir: dataDirOpt ?? config.dataDir });
    const dir = new Directory({ path: paths.directoryDb, mobility: config.mobility, domain: config.domain });
    const { app } = await createHttpApp({
      directory: dir,
      dataDir: paths.dataDir,
      sipRealm: config.auth.realm ?? config.domain,
      log: pino({ level: 'warn' }, pino.destination(2)),
      localActor: { username: `cli:${userInfo().username}`, role: 'admin', via: 'cli', userId: null },
    });
    send = async (method, path, body, contentType) => {
      const res = await app.inject({
        method: method as 'GET',
        url: path,
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType ?? 'application/json' } } : {}),
      });
      return { status: res.statusCode, headers: res.headers as Record<string, string>, body: res.rawPayload };
    };
    close = async () => {
      await app.close();
      dir.close();
    };
  }

  const call = async (method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> => {
    const r = await send(method, path, body, contentType);
    const text = r.body.toString('utf8');
    if (r.status >= 400) {
      let msg = text;
      try {
        const j = JSON.parse(text) as { message?: string; field?: string };
        msg = `${j.message ?? text}`;
      } catch {
        // plain text
      }
      throw Object.assign(new Error(`HTTP ${r.status}: ${msg}`), { status: r.status });
    }
    if (r.status === 204 || text === '') return undefined;
    return String(r.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text;
  };
  const print = (v: unknown): void => {
    if (v === undefined) return;
    process.stdout.write(typeof v === 'string' ? v : `${JSON.stringify(v, null, 2)}\n`);
  };

  try {
    switch (cmd) {
      case 'admin': {
        if (sub !== 'create' || !rest[0]) throw new UsageError('admin create NAME [--password-stdin]');
        const pw = password(rest, 'MA_ADMIN_PASSWORD');
        print(await call('POST', '/api/v1/accounts', { username: rest[0], role: 'admin', password: pw }));
        return 0;
      }
      case 'account': {
        if (sub === 'list') print(await call('GET', '/api/v1/accounts'));
        else if (sub === 'create') {
          const role = takeOpt(rest, '--role') ?? 'user';
          const userId = takeOpt(rest, '--user-id');
          const pw = password(rest);
          if (!rest[0]) throw new UsageError('account create NAME --role admin|user [--user-id USERID]');
          print(await call('POST', '/api/v1/accounts', { username: rest[0], role, ...(userId ? { userId } : role === 'user' ? { userId: rest[0] } : {}), password: pw }));
        } else if (sub === 'passwd') {
          if (!rest[0]) throw new UsageError('account passwd NAME');
          const pw = password(rest);
          print(await call('PATCH', `/api/v1/accounts/${enc(rest[0])}`, { password: pw }));
        } else if (sub === 'delete') {
          if (!rest[0]) throw new UsageError('account delete NAME');
          await call('DELETE', `/api/v1/accounts/${enc(rest[0])}`);
        } else throw new UsageError('account list|create|passwd|delete');
        return 0;
      }
      case 'token': {
        if (sub === 'create') {
          const user = takeOpt(rest, '--user');
          const name = takeOpt(rest, '--name');
          if (!url && !user) throw new UsageError('token create --user NAME [--name LABEL] (direct mode needs --user)');
          const r = (await call('POST', '/api/v1/tokens', { ...(user ? { username: user } : {}), ...(name ? { name } : {}) })) as { token: string };
          process.stdout.write(`${r.token}\n`);
        } else if (sub === 'list') print(await call('GET', '/api/v1/tokens'));
        else if (sub === 'revoke' && rest[0]) await call('DELETE', `/api/v1/tokens/${enc(rest[0])}`);
        else throw new UsageError('token create|list|revoke ID');
        return 0;
      }
      case 'list': {
        if (!sub) throw new UsageError('list ENTITY [field=value ...]');
        const qs = new URLSearchParams(rest.map((f) => f.split('=', 2) as [string, string]));
        print(await call('GET', `/api/v1/${enc(sub)}${rest.length ? `?${qs}` : ''}`));
        return 0;
      }
      case 'get':
        if (!sub || !rest[0]) throw new UsageError('get ENTITY ID');
        print(await call('GET', `/api/v1/${enc(sub)}/${enc(rest[0])}`));
        return 0;
      case 'create':
        if (!sub) throw new UsageError('create ENTITY JSON|@FILE|-');
        print(await call('POST', `/api/v1/${enc(sub)}`, jsonArg(rest[0])));
        return 0;
      case 'update':
        if (!sub || !rest[0]) throw new UsageError('update ENTITY ID JSON|@FILE|-');
        print(await call('PATCH', `/api/v1/${enc(sub)}/${enc(rest[0])}`, jsonArg(rest[1])));
        return 0;
      case 'delete':
        if (!sub || !rest[0]) throw new UsageError('delete ENTITY ID');
        await call('DELETE', `/api/v1/${enc(sub)}/${enc(rest[0])}`);
        return 0;
      case 'snr': {
        const onOff = rest[0];
        if (!sub || (onOff !== 'on' && onOff !== 'off')) throw new UsageError('snr USERID on|off [RD_ID]');
        print(await call('PUT', `/api/v1/users/${enc(sub)}/snr`, { enabled: onOff === 'on', ...(rest[1] ? { remoteDestination: rest[1] } : {}) }));
        return 0;
      }
      case 'params': {
        if (sub === undefined || sub === 'get') {
          const d = (await call('GET', '/api/v1/service-parameters')) as { parameters: { key: string; value: unknown; default: unknown; overridden: boolean }[] };
          for (const p of d.parameters) process.stdout.write(`${p.key} = ${JSON.stringify(p.value)}${p.overridden ? `  (default ${JSON.stringify(p.default)})` : ''}\n`);
        } else if (sub === 'set') {
          if (rest.length === 0) throw new UsageError('params set KEY=VALUE ...');
          const values: Record<string, unknown> = {};
          for (const kv of rest) {
            const i = kv.indexOf('=');
            if (i <= 0) throw new UsageError(`not KEY=VALUE: ${kv}`);
            values[kv.slice(0, i)] = parseValue(kv.slice(i + 1));
          }
          await call('PATCH', '/api/v1/service-parameters', values);
          process.stdout.write(`set ${Object.keys(values).join(', ')}\n`);
        } else if (sub === 'reset' && rest[0]) await call('DELETE', `/api/v1/service-parameters/${enc(rest[0])}`);
        else throw new UsageError('params [get] | params set KEY=VALUE ... | params reset KEY');
        return 0;
      }
      case 'export': {
        const all = [sub, ...rest].filter((x): x is string => x !== undefined);
        const format = takeOpt(all, '--format') ?? 'json';
        const entity = takeOpt(all, '--entity');
        const out = takeOpt(all, '--out');
        const r = await call('GET', `/api/v1/export?format=${enc(format)}${entity ? `&entity=${enc(entity)}` : ''}`);
        const text = typeof r === 'string' ? r : `${JSON.stringify(r, null, 2)}\n`;
        if (out) writeFileSync(out, text);
        else process.stdout.write(text);
        return 0;
      }
      case 'import': {
        const all = [...rest];
        const entity = takeOpt(all, '--entity');
        const dry = takeOpt(all, '--dry-run', false);
        if (!sub) throw new UsageError('import FILE [--entity ENTITY] [--dry-run]');
        const text = sub === '-' ? readStdin() : readFileSync(sub, 'utf8');
        const ct = /\.csv$/i.test(sub) || (entity && !/\.(json|ya?ml)$/i.test(sub)) ? 'text/csv' : /\.ya?ml$/i.test(sub) ? 'application/yaml' : 'application/json';
        const qs = new URLSearchParams();
        if (entity) qs.set('entity', entity);
        if (dry) qs.set('dryRun', 'true');
        print(await call('POST', `/api/v1/import${qs.size ? `?${qs}` : ''}`, text, ct));
        return 0;
      }
      case 'audit': {
        const all = [sub, ...rest].filter((x): x is string => x !== undefined);
        const limit = takeOpt(all, '--limit') ?? '50';
        print(await call('GET', `/api/v1/audit?limit=${enc(limit)}`));
        return 0;
      }
      case 'calls':
        print(await call('GET', '/api/v1/calls'));
        return 0;
      case 'openapi':
        print(await call('GET', '/api/v1/openapi.json'));
        return 0;
      case 'backup': {
        if (!sub) throw new UsageError('backup FILE');
        // Through the API in both modes: audited, and a copy stays in <dataDir>/backups.
        const r = await send('POST', '/api/v1/backup');
        if (r.status >= 400) throw new Error(`HTTP ${r.status}: ${r.body.toString('utf8')}`);
        writeFileSync(sub, r.body);
        process.stdout.write(`backup written to ${sub} (${r.body.length} bytes)\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${cmd ?? ''}`);
    }
  } finally {
    await close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`mobility-anchor-admin: ${e.message}\n(see --help)\n`);
      process.exit(2);
    }
    process.stderr.write(`mobility-anchor-admin: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
