/**
 * The provisioning directory: SQLite (better-sqlite3) with numbered migrations, typed CRUD
 * repositories per entity, and cached hot-path lookups (caller-ID index, dial plan, trunks,
 * effective mobility parameters). Caches are per process and invalidated by this instance's
 * writes; call `invalidateCaches()` if another process changed the file.
 */
import type { Database } from 'better-sqlite3';
import { openSqlite } from './db.js';
import { runMigrations } from './migrate.js';
import { DIRECTORY_MIGRATIONS } from './migrations.js';
import { DirectoryContext, type CacheKind } from './context.js';
import { CssRepo, PartitionRepo } from './repos/partitions.js';
import { LineRepo } from './repos/lines.js';
import { UserRepo } from './repos/users.js';
import { CredentialRepo, DeviceRepo } from './repos/devices.js';
import { AccessListRepo, MobilityProfileRepo, RdProfileRepo, RingScheduleRepo } from './repos/profiles.js';
import { RemoteDestinationRepo } from './repos/remote-destinations.js';
import { DirectedParkRepo, RoutePatternRepo, TrunkRepo } from './repos/trunks.js';
import { ServiceParameterRepo, problemsWithReferences } from './repos/service-parameters.js';
import { CallerIdIndex, type LookupResult, type MatchOptions } from './caller-id-match.js';
import { DialPlan, type DialPlanEntry, type RouteMatch } from './dial-plan.js';
import { literalPattern } from './pattern.js';
import { defaultConfig } from '../config/load.js';
import { resolveMobilityParameters } from '../config/service-parameters.js';
import { unescapeDialable } from '../config/dialable.js';
import type { EfaNumberConfig, MobilityParameters } from '../config/mobility-schema.js';
import type { Device, DigestAlgorithm, EndUser, EnterpriseLine, RemoteDestination, Trunk } from './types.js';

export const DIRECTORY_COMPONENT = 'directory';

export interface DirectoryOptions {
  /** SQLite file path, or ':memory:' (the default). Ignored when `db` is given. */
  path?: string;
  /** An open connection to use (the caller closes it). */
  db?: Database;
  /** The config's mobility parameters (service parameters override them). Default: spec defaults. */
  mobility?: MobilityParameters;
  /** SIP domain, for the domain-dependent parameter defaults. */
  domain?: string;
}

/** What an inbound called number means to the §14.5 EFA-number dispatcher. */
export type DispatcherNumber = { kind: 'efa'; efa: EfaNumberConfig } | { kind: 'serviceAccessNumber' };

export class Directory {
  readonly db: Database;
  private readonly ownsDb: boolean;
  private readonly ctx: DirectoryContext;
  private readonly baseMobility: MobilityParameters;
  /** SIP domain (AORs, default realm in the fixture). */
  readonly domain: string;

  readonly partitions: PartitionRepo;
  readonly css: CssRepo;
  readonly lines: LineRepo;
  readonly users: UserRepo;
  readonly devices: DeviceRepo;
  readonly credentials: CredentialRepo;
  readonly rdProfiles: RdProfileRepo;
  readonly remoteDestinations: RemoteDestinationRepo;
  readonly accessLists: AccessListRepo;
  readonly ringSchedules: RingScheduleRepo;
  readonly mobilityProfiles: MobilityProfileRepo;
  readonly routePatterns: RoutePatternRepo;
  readonly trunks: TrunkRepo;
  readonly directedParks: DirectedParkRepo;
  readonly serviceParameters: ServiceParameterRepo;

  private mobilityCache: MobilityParameters | undefined;
  private cidIndex: CallerIdIndex<RemoteDestination> | undefined;
  private dialPlanCache: DialPlan | undefined;
  private trunkCache: Trunk[] | undefined;

  constructor(opts: DirectoryOptions = {}) {
    this.db = opts.db ?? openSqlite(opts.path ?? ':memory:');
    this.ownsDb = !opts.db;
    if (opts.db) opts.db.pragma('foreign_keys = ON');
    runMigrations(this.db, DIRECTORY_COMPONENT, DIRECTORY_MIGRATIONS);
    const defaults = opts.mobility && opts.domain ? undefined : defaultConfig();
    this.baseMobility = opts.mobility ?? defaults!.mobility;
    this.domain = opts.domain ?? defaults!.domain;
    this.ctx = new DirectoryContext(this.db, () => this.mobilityParameters());
    this.ctx.onChange((k) => this.invalidate(k));

    this.partitions = new PartitionRepo(this.ctx);
    this.css = new CssRepo(this.ctx);
    this.lines = new LineRepo(this.ctx);
    this.users = new UserRepo(this.ctx);
    this.devices = new DeviceRepo(this.ctx);
    this.credentials = new CredentialRepo(this.ctx);
    this.rdProfiles = new RdProfileRepo(this.ctx);
    this.remoteDestinations = new RemoteDestinationRepo(this.ctx, this.devices);
    this.accessLists = new AccessListRepo(this.ctx);
    this.ringSchedules = new RingScheduleRepo(this.ctx);
    this.mobilityProfiles = new MobilityProfileRepo(this.ctx);
    this.routePatterns = new RoutePatternRepo(this.ctx);
    this.trunks = new TrunkRepo(this.ctx);
    this.directedParks = new DirectedParkRepo(this.ctx);
    this.serviceParameters = new ServiceParameterRepo(this.ctx, (o) => resolveMobilityParameters(this.baseMobility, o, this.domain));
  }

  close(): void {
    if (this.ownsDb && this.db.open) this.db.close();
  }

  /** Runs `fn` in one transaction (nested calls join it). */
  transaction<T>(fn: () => T): T {
    try {
      return this.ctx.tx(fn);
    } catch (e) {
      this.invalidateCaches(); // caches may hold values from the rolled-back writes
      throw e;
    }
  }

  private invalidate(kind: CacheKind): void {
    if (kind === 'parameters') {
      this.mobilityCache = undefined;
      this.cidIndex = undefined;
      this.dialPlanCache = undefined;
    } else if (kind === 'remoteDestinations') this.cidIndex = undefined;
    else if (kind === 'dialPlan') this.dialPlanCache = undefined;
    else if (kind === 'trunks') this.trunkCache = undefined;
  }

  invalidateCaches(): void {
    for (const k of ['parameters', 'remoteDestinations', 'dialPlan', 'trunks'] as const) this.invalidate(k);
  }

  // ---- parameters ------------------------------------------------------------------------

  /** Config `mobility:` overlaid with the service parameters (cached). */
  mobilityParameters(): MobilityParameters {
    return (this.mobilityCache ??= resolveMobilityParameters(this.baseMobility, this.serviceParameters.list(), this.domain));
  }

  /** Startup check of references from parameters into the directory (partitions, HOUT-05). */
  checkReferences(): string[] {
    return problemsWithReferences(this.ctx, this.mobilityParameters());
  }

  // ---- hot-path lookups -------------------------------------------------------------------

  findUser(userId: string): EndUser | undefined {
    return this.users.get(userId);
  }

  findUserByMvaId(mvaNumericId: string): EndUser | undefined {
    return this.users.findByMvaId(mvaNumericId);
  }

  /** Line by DN in a partition; without partition, the only line with that DN. */
  findLine(number: string, partition?: string): EnterpriseLine | undefined {
    return this.lines.find(number, partition);
  }

  findLineByDid(did: string): EnterpriseLine | undefined {
    return this.lines.findByDid(did);
  }

  findDeviceBySipUsername(username: string): Device | undefined {
    return this.devices.findBySipUsername(username);
  }

  findDeviceByAor(aor: string): Device | undefined {
    return this.devices.findByAor(aor);
  }

  devicesOnLine(lineId: string): Device[] {
    return this.devices.onLine(lineId);
  }

  getHa1(username: string, realm: string, algorithm: DigestAlgorithm): string | undefined {
    return this.credentials.getHa1(username, realm, algorithm);
  }

  /** RDs and MIs of a user. */
  listRemoteDestinations(userId: string): RemoteDestination[] {
    return this.remoteDestinations.listByUser(userId);
  }

  mobilityIdentityOf(deviceId: string): RemoteDestination | undefined {
    return this.remoteDestinations.mobilityIdentityOf(deviceId);
  }

  matchOptions(): MatchOptions {
    const m = this.mobilityParameters();
    return { mode: m.matchCallerIdWithRemoteDestination, digits: m.callerIdPartialMatchDigits };
  }

  /**
   * Caller-ID match of a globalised, unreplaced calling number (or, for ISC, the dialled digits)
   * against every RD and MI (CID-02..04, CID-06). Only a `unique` result is a match.
   * `opts` overrides the configured mode/N (tests, ISC variants).
   */
  findRemoteDestinationByNumber(number: string, opts?: Partial<MatchOptions>): LookupResult<RemoteDestination> {
    const base = this.matchOptions();
    if (opts && opts.digits !== undefined && opts.digits !== base.digits) {
      return CallerIdIndex.build(this.remoteDestinations.list().map((r) => ({ number: r.number, value: r })), { ...base, ...opts }).lookup(number);
    }
    if (!this.cidIndex) {
      this.cidIndex = CallerIdIndex.build(this.remoteDestinations.list().map((r) => ({ number: r.number, value: r })), base);
    }
    return this.cidIndex.lookup(number, opts?.mode ?? base.mode);
  }

  getTrunk(id: string): Trunk | undefined {
    return this.listTrunks().find((t) => t.id === id);
  }

  listTrunks(): Trunk[] {
    return (this.trunkCache ??= this.trunks.list());
  }

  /** The trunk a request came from: host and port of the peer or an alternate gateway; host-only as fallback. */
  findTrunkBySource(host: string, port?: number): Trunk | undefined {
    const trunks = this.listTrunks();
    const gws = (t: Trunk) => [{ peerHost: t.peerHost, port: t.port }, ...t.alternates];
    if (port !== undefined) {
      const exact = trunks.find((t) => gws(t).some((g) => g.peerHost === host && g.port === port));
      if (exact) return exact;
    }
    return trunks.find((t) => gws(t).some((g) => g.peerHost === host));
  }

  // ---- dial plan --------------------------------------------------------------------------

  /** Every routable entry: feature numbers, park numbers, route patterns, then line DNs. */
  dialPlanEntries(): DialPlanEntry[] {
    const m = this.mobilityParameters();
    const entries: DialPlanEntry[] = [];
    for (const e of m.efaNumbers) {
      const n = unescapeDialable(e.number);
      entries.push({ partition: e.partition, pattern: literalPattern(n), target: { kind: 'feature', id: 'efa', arg: n }, source: 'efaNumbers' });
    }
    if (m.mvaDirectoryNumber !== '') {
      const n = unescapeDialable(m.mvaDirectoryNumber);
      entries.push({ partition: m.mvaPartition, pattern: literalPattern(n), target: { kind: 'feature', id: 'mva', arg: n }, source: 'mvaDirectoryNumber' });
    }
    if (m.handoffNumber !== '') {
      const n = unescapeDialable(m.handoffNumber);
      entries.push({ partition: m.handoffPartition, pattern: literalPattern(n), target: { kind: 'feature', id: 'handoff', arg: n }, source: 'handoffNumber' });
    }
    for (const p of this.directedParks.list()) {
      const width = p.firstNumber.length;
      for (let i = Number(p.firstNumber); i <= Number(p.lastNumber); i++) {
        const n = String(i).padStart(width, '0');
        entries.push({ partition: p.partition, pattern: n, target: { kind: 'feature', id: 'park', arg: n }, source: `park:${p.id}` });
        entries.push({
          partition: p.partition,
          pattern: p.retrievalPrefix + n,
          target: { kind: 'feature', id: 'parkRetrieve', arg: n },
          source: `park:${p.id}`,
        });
      }
    }
    for (const r of this.routePatterns.list()) {
      entries.push({ partition: r.partition, pattern: r.pattern, target: r.target, stripPreDot: r.stripPreDot, prefix: r.prefix, source: `routePattern:${r.id}` });
    }
    for (const l of this.lines.list()) {
      entries.push({ partition: l.partition, pattern: literalPattern(l.number), target: { kind: 'line', id: l.id }, source: `line:${l.id}` });
    }
    return entries;
  }

  dialPlan(): DialPlan {
    return (this.dialPlanCache ??= new DialPlan(this.dialPlanEntries(), this.css.list()));
  }

  /** Best route for `dialed` through a CSS (or [lineCss, deviceCss] searched as one). */
  resolve(dialed: string, css: string | readonly string[]): RouteMatch | undefined {
    return this.dialPlan().resolve(dialed, css);
  }

  /**
   * §14.5: is this translated called number an EFA number or the DVO-F service access number?
   * (The SAN has no partition, so this check does not go through a CSS; ANC-02.)
   */
  dispatcherNumber(called: string): DispatcherNumber | undefined {
    const m = this.mobilityParameters();
    const efa = m.efaNumbers.find((e) => unescapeDialable(e.number) === called);
    if (efa) return { kind: 'efa', efa };
    if (m.dvoForwardServiceAccessNumber !== '' && unescapeDialable(m.dvoForwardServiceAccessNumber) === called) return { kind: 'serviceAccessNumber' };
    return undefined;
  }
}
