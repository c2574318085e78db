/** PSTN trunks (spec §17.1 PstnTrunk), route patterns, directed park ranges, service parameters. */
import { randomUUID } from 'node:crypto';
import type { DirectoryContext } from '../context.js';
import { Table } from '../table.js';
import { DirectoryError, guard, invalid, notFound } from '../errors.js';
import { checkInt, checkNonEmpty, checkOneOf, defined, requireRef } from '../validate.js';
import { validateNumberRules, type NumberRule } from '../numbers.js';
import { validatePattern } from '../pattern.js';
import { computeHa1 } from '../secrets.js';
import type { RouteTarget } from '../dial-plan.js';
import type { DirectedPark, DtmfMode, RoutePattern, Trunk, TrunkAuth, TrunkGateway, TrunkRegistration, TrunkTransport } from '../types.js';

const TRANSPORTS: readonly TrunkTransport[] = ['udp', 'tcp', 'tls'];
const DTMF: readonly DtmfMode[] = ['rfc4733', 'info', 'kpml', 'inband'];

/** Credentials given as a password are turned into HA1 for the realm; the password is discarded. */
export type TrunkAuthInput = TrunkAuth | { username: string; realm: string; password: string };
export type TrunkRegistrationInput = Pick<TrunkRegistration, 'aor'> & Partial<TrunkRegistration>;
export type NewTrunk = Pick<Trunk, 'id' | 'peerHost'> &
  Partial<Omit<Trunk, 'auth' | 'registration'>> & { auth?: TrunkAuthInput | null; registration?: TrunkRegistrationInput | null };
export type TrunkPatch = Partial<Omit<Trunk, 'id' | 'auth' | 'registration'>> & {
  auth?: TrunkAuthInput | null;
  registration?: TrunkRegistrationInput | null;
};

function toRegistration(r: TrunkRegistrationInput | null | undefined): TrunkRegistration | null {
  if (!r) return null;
  return { aor: r.aor, registrar: r.registrar ?? null, expiresS: r.expiresS ?? 3600 };
}

function toAuth(a: TrunkAuthInput | null | undefined): TrunkAuth | null {
  if (!a) return null;
  checkNonEmpty('auth.username', a.username);
  checkNonEmpty('auth.realm', a.realm);
  if ('password' in a) {
    return {
      username: a.username,
      realm: a.realm,
      ha1Md5: computeHa1(a.username, a.realm, a.password, 'MD5'),
      ha1Sha256: computeHa1(a.username, a.realm, a.password, 'SHA-256'),
    };
  }
  if (!/^[0-9a-f]{32}$/.test(a.ha1Md5) || !/^[0-9a-f]{64}$/.test(a.ha1Sha256)) throw invalid('auth: ha1Md5/ha1Sha256 must be hex digests');
  return { username: a.username, realm: a.realm, ha1Md5: a.ha1Md5, ha1Sha256: a.ha1Sha256 };
}

function checkGateway(field: string, g: TrunkGateway): void {
  checkNonEmpty(`${field}.peerHost`, g.peerHost);
  checkInt(`${field}.port`, g.port, 1, 65535);
  checkOneOf(`${field}.transport`, g.transport, TRANSPORTS);
}

export class TrunkRepo {
  private readonly t: Table<Trunk>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<Trunk>(ctx.db, 'trunks', ['id'], {
      id: 'text',
      name: 'text',
      peerHost: 'text',
      port: 'int',
      transport: 'text',
      trusted: 'bool',
      inboundCss: 'text',
      inboundRules: 'json',
      outboundRules: 'json',
      dtmfMode: 'json',
      sendDiversionOnMobilityForks: 'bool',
      mobilityForkCallingIdentity: 'text',
      answerSupervision: 'bool',
      maxConcurrentCalls: 'int',
      mediaRelay: 'text',
      registration: 'json',
      auth: 'json',
      alternates: 'json',
    });
  }

  private check(t: Trunk): void {
    checkNonEmpty('id', t.id);
    checkGateway('trunk', t);
    requireRef(this.ctx, 'css', 'name', t.inboundCss, 'inboundCss');
    const problems = [...validateNumberRules(t.inboundRules, 'inboundRules'), ...validateNumberRules(t.outboundRules, 'outboundRules')];
    if (problems.length) throw invalid(problems.join('; '));
    if (!Array.isArray(t.dtmfMode) || t.dtmfMode.length === 0) throw invalid('dtmfMode: needs at least one of ' + DTMF.join(', '));
    t.dtmfMode.forEach((m, i) => checkOneOf(`dtmfMode[${i}]`, m, DTMF));
    checkOneOf('mobilityForkCallingIdentity', t.mobilityForkCallingIdentity, ['original', 'enterpriseDid'] as const);
    checkOneOf('mediaRelay', t.mediaRelay, ['always', 'whenNeeded', 'never'] as const);
    checkInt('maxConcurrentCalls', t.maxConcurrentCalls, 1, 1_000_000);
    t.alternates.forEach((g, i) => checkGateway(`alternates[${i}]`, g));
    if (t.registration) {
      checkNonEmpty('registration.aor', t.registration.aor);
      checkInt('registration.expiresS', t.registration.expiresS, 60, 86400);
    }
  }

  create(input: NewTrunk): Trunk {
    const t: Trunk = {
      id: input.id,
      name: input.name ?? input.id,
      peerHost: input.peerHost,
      port: input.port ?? 5060,
      transport: input.transport ?? 'udp',
      trusted: input.trusted ?? false,
      inboundCss: input.inboundCss ?? null,
      inboundRules: input.inboundRules ?? [],
      outboundRules: input.outboundRules ?? [],
      dtmfMode: input.dtmfMode ?? ['rfc4733'],
      sendDiversionOnMobilityForks: input.sendDiversionOnMobilityForks ?? false,
      mobilityForkCallingIdentity: input.mobilityForkCallingIdentity ?? 'original',
      answerSupervision: input.answerSupervision ?? true,
      maxConcurrentCalls: input.maxConcurrentCalls ?? null,
      mediaRelay: input.mediaRelay ?? 'whenNeeded',
      registration: toRegistration(input.registration),
      auth: toAuth(input.auth),
      alternates: input.alternates ?? [],
    };
    this.check(t);
    guard(`trunk "${t.id}"`, () => this.t.insert(t));
    this.ctx.changed('trunks');
    return t;
  }

  get(id: string): Trunk | undefined {
    return this.t.get(id);
  }

  list(): Trunk[] {
    return this.t.all();
  }

  update(id: string, patch: TrunkPatch): Trunk {
    const cur = this.get(id);
    if (!cur) throw notFound('trunk', id);
    const { auth, registration, ...rest } = patch;
    const t: Trunk = { ...cur, ...defined(rest), id };
    if (auth !== undefined) t.auth = toAuth(auth);
    if (registration !== undefined) t.registration = toRegistration(registration);
    this.check(t);
    this.t.update(t);
    this.ctx.changed('trunks');
    return t;
  }

  /** Refused while a route pattern sends calls to the trunk. */
  delete(id: string): boolean {
    const used = this.ctx.stmt("SELECT id FROM route_patterns WHERE target_kind = 'trunk' AND target_id = ? LIMIT 1").get(id) as { id: string } | undefined;
    if (used) throw new DirectoryError('in_use', `trunk "${id}" is the target of route pattern "${used.id}"`);
    const ok = this.t.delete(id);
    if (ok) this.ctx.changed('trunks');
    return ok;
  }
}

interface RoutePatternRow {
  id: string;
  partition: string;
  pattern: string;
  targetKind: RouteTarget['kind'];
  targetId: string;
  targetArg: string | null;
  stripPreDot: boolean;
  prefix: string;
  description: string;
}

export type NewRoutePattern = Pick<RoutePattern, 'partition' | 'pattern' | 'target'> & Partial<RoutePattern>;

export class RoutePatternRepo {
  private readonly t: Table<RoutePatternRow>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<RoutePatternRow>(ctx.db, 'route_patterns', ['id'], {
      id: 'text',
      partition: 'text',
      pattern: 'text',
      targetKind: 'text',
      targetId: 'text',
      targetArg: 'text',
      stripPreDot: 'bool',
      prefix: 'text',
      description: 'text',
    });
  }

  private static toPattern(r: RoutePatternRow): RoutePattern {
    const target: RouteTarget =
      r.targetKind === 'feature'
        ? { kind: 'feature', id: r.targetId, ...(r.targetArg !== null ? { arg: r.targetArg } : {}) }
        : { kind: r.targetKind, id: r.targetId };
    return { id: r.id, partition: r.partition, pattern: r.pattern, target, stripPreDot: r.stripPreDot, prefix: r.prefix, description: r.description };
  }

  private check(p: RoutePattern): void {
    checkNonEmpty('id', p.id);
    const bad = validatePattern(p.pattern);
    if (bad) throw invalid(`pattern: ${bad}`);
    requireRef(this.ctx, 'partitions', 'name', p.partition, 'partition');
    checkOneOf('target.kind', p.target.kind, ['trunk', 'line', 'feature'] as const);
    checkNonEmpty('target.id', p.target.id);
    if (p.target.kind === 'trunk') requireRef(this.ctx, 'trunks', 'id', p.target.id, 'target.id');
    if (p.target.kind === 'line') requireRef(this.ctx, 'lines', 'id', p.target.id, 'target.id');
    if (!/^\+?[0-9*#]*$/.test(p.prefix)) throw invalid(`prefix: "${p.prefix}" is not a dial string`);
  }

  private toRow(p: RoutePattern): RoutePatternRow {
    return {
      id: p.id,
      partition: p.partition,
      pattern: p.pattern,
      targetKind: p.target.kind,
      targetId: p.target.id,
      targetArg: p.target.kind === 'feature' ? (p.target.arg ?? null) : null,
      stripPreDot: p.stripPreDot,
      prefix: p.prefix,
      description: p.description,
    };
  }

  create(input: NewRoutePattern): RoutePattern {
    const p: RoutePattern = {
      id: input.id ?? randomUUID(),
      partition: input.partition,
      pattern: input.pattern,
      target: input.target,
      stripPreDot: input.stripPreDot ?? false,
      prefix: input.prefix ?? '',
      description: input.description ?? '',
    };
    this.check(p);
    guard(`route pattern ${p.pattern} in ${p.partition}`, () => this.t.insert(this.toRow(p)));
    this.ctx.changed('dialPlan');
    return p;
  }

  get(id: string): RoutePattern | undefined {
    const r = this.t.get(id);
    return r ? RoutePatternRepo.toPattern(r) : undefined;
  }

  list(partition?: string): RoutePattern[] {
    const rows = partition !== undefined ? this.t.where('partition', partition) : this.t.all();
    return rows.map(RoutePatternRepo.toPattern);
  }

  update(id: string, patch: Partial<Omit<RoutePattern, 'id'>>): RoutePattern {
    const cur = this.get(id);
    if (!cur) throw notFound('route pattern', id);
    const p = { ...cur, ...defined(patch), id };
    this.check(p);
    guard(`route pattern ${p.pattern}`, () => this.t.update(this.toRow(p)));
    this.ctx.changed('dialPlan');
    return p;
  }

  delete(id: string): boolean {
    const ok = this.t.delete(id);
    if (ok) this.ctx.changed('dialPlan');
    return ok;
  }
}

/** Largest directed-park range (numbers are expanded into exact dial-plan entries). */
export const MAX_PARK_RANGE = 10000;

export class DirectedParkRepo {
  private readonly t: Table<DirectedPark>;
  constructor(private readonly ctx: DirectoryContext) {
    this.t = new Table<DirectedPark>(ctx.db, 'directed_parks', ['id'], {
      id: 'text',
      firstNumber: 'text',
      lastNumber: 'text',
      retrievalPrefix: 'text',
      partition: 'text',
      reversionTimeoutS: 'int',
    });
  }

  private check(p: DirectedPark): void {
    checkNonEmpty('id', p.id);
    if (!/^[0-9]{1,16}$/.test(p.firstNumber) || !/^[0-9]{1,16}$/.test(p.lastNumber) || p.firstNumber.length !== p.lastNumber.length) {
      throw invalid('firstNumber/lastNumber: must be digit strings of the same length');
    }
    const size = Number(p.lastNumber) - Number(p.firstNumber) + 1;
    if (size < 1 || size > MAX_PARK_RANGE) throw invalid(`lastNumber: range must hold 1 to ${MAX_PARK_RANGE} numbers`);
    if (!/^[0-9*#]{1,8}$/.test(p.retrievalPrefix)) throw invalid('retrievalPrefix: must be 1 to 8 of 0-9 * #');
    requireRef(this.ctx, 'partitions', 'name', p.partition, 'partition');
    checkInt('reversionTimeoutS', p.reversionTimeoutS, 0, 86400);
  }

  create(input: Pick<DirectedPark, 'firstNumber' | 'lastNumber' | 'retrievalPrefix' | 'partition'> & Partial<DirectedPark>): DirectedPark {
    const p: DirectedPark = {
      id: input.id ?? randomUUID(),
      firstNumber: input.firstNumber,
      lastNumber: input.lastNumber,
      retrievalPrefix: input.retrievalPrefix,
      partition: input.partition,
      reversionTimeoutS: input.reversionTimeoutS ?? 0,
    };
    this.check(p);
    guard(`directed park "${p.id}"`, () => this.t.insert(p));
    this.ctx.changed('dialPlan');
    return p;
  }

  get(id: string): DirectedPark | undefined {
    return this.t.get(id);
  }

  list(): DirectedPark[] {
    return this.t.all();
  }

  /** The range holding `number`, if any (MID-07). */
  rangeOf(number: string): DirectedPark | undefined {
    return this.list().find((p) => number.length === p.firstNumber.length && /^[0-9]+$/.test(number) && number >= p.firstNumber && number <= p.lastNumber);
  }

  update(id: string, patch: Partial<Omit<DirectedPark, 'id'>>): DirectedPark {
    const cur = this.get(id);
    if (!cur) throw notFound('directed park', id);
    const p = { ...cur, ...defined(patch), id };
    this.check(p);
    this.t.update(p);
    this.ctx.changed('dialPlan');
    return p;
  }

  delete(id: string): boolean {
    const ok = this.t.delete(id);
    if (ok) this.ctx.changed('dialPlan');
    return ok;
  }
}

export type { NumberRule };
