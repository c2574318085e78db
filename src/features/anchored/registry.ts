/**
 * The registry of anchored calls (spec §17.2 AnchoredCall, GEN-02) and their call records
 * (GEN-07). Features register the calls they create (`register`), say what changes (`update`:
 * state, a user leg joined or left), and `end` them: each registered call then leaves exactly
 * one CallRecord, logged, kept in a ring buffer for the API (GET /api/v1/call-records) and
 * counted by origin in Prometheus.
 *
 * A feature whose call runs as a B2BCall passes it to `register`: the registry reads the legs'
 * dialogs from it (which side is FAR, which role the other side has) whenever it is updated
 * or ended, so the record links the real Call-IDs and tags of every leg.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { type AnchoredCallStore, type CallRecordSink, MemoryAnchoredCallStore, RingBufferRecordSink } from './store.js';
import { ANCHORED_ORIGINS, type AnchoredCall, type AnchoredLeg, type AnchoredOrigin, type AnchoredState, type CallRecord, type LegRole } from './types.js';

/** The dialog fields the registry reads (src/sip Dialog has them). */
export interface DialogLike {
  callId: string;
  localTag: string;
  remoteTag: string;
  remoteUri: { toString(): string };
}

/** Structurally a B2BCall (or a feature's own call object with the same fields). */
export interface CallLike {
  id: string;
  startedAt?: number;
  connectedAt?: number | undefined;
  aDialog?: DialogLike | undefined;
  bDialog?: DialogLike | undefined;
  /** The A-leg's INVITE, for the FAR leg before the A-leg dialog exists. */
  a?: { request: { callId: string; get(name: string): string | undefined } };
}

export interface RegisterInfo {
  origin: AnchoredOrigin;
  /** Registry id; default: the call's id (its A-leg Call-ID). */
  id?: string;
  user?: string | null;
  line?: string | null;
  /** GEN-02; default true. */
  anchored?: boolean;
  /** Which side of the B2BCall is the FAR leg: 'a' (inbound calls, default) or 'b' (calls the user places). */
  farSide?: 'a' | 'b';
  /** Role of the other side once it has a dialog (default 'DESK'; SNR sets 'RD' when an RD answers). */
  userRole?: LegRole;
  farLeg?: AnchoredLeg;
  userLegs?: AnchoredLeg[];
  state?: AnchoredState;
}

export interface AnchoredPatch {
  user?: string | null;
  line?: string | null;
  state?: AnchoredState;
  anchored?: boolean;
  farLeg?: AnchoredLeg | null;
  /** Role of the tracked call's user side from now on (e.g. the winning fork was an RD). */
  userRole?: LegRole;
  /** A user-side leg joined (added, or merged with the leg of the same Call-ID). */
  addUserLeg?: AnchoredLeg;
  /** A user-side leg left (by Call-ID): it stays in the record with releasedAt. */
  releaseUserLeg?: string;
  callRef?: string;
}

export interface EndInfo {
  result?: string;
  status?: number;
  by?: string;
}

/**
 * A call that runs outside the server's B2BCall map but belongs in the live calls view
 * (a three-party conference, MID-08): it shows its own fields there (src/api/live-calls.ts).
 */
export interface OtherLiveCall {
  readonly id: string;
  readonly state: string;
  readonly startedAt: number;
}

/** What features see (FeatureContext.anchored). */
export interface AnchoredCalls {
  register(call: CallLike | undefined, info: RegisterInfo): AnchoredCall;
  update(id: string, patch: AnchoredPatch): AnchoredCall | undefined;
  /** The call is over: its one call record (undefined when it was not registered or already ended). */
  end(id: string, info?: EndInfo): CallRecord | undefined;
  get(id: string): AnchoredCall | undefined;
  /** The anchored call running as the live call `callRef` (server.calls key). */
  byCallRef(callRef: string): AnchoredCall | undefined;
  list(): AnchoredCall[];
  /** Most recent call records first. */
  records(limit?: number): CallRecord[];
  /** Show `call` in the live calls view (GET /api/v1/calls and its event stream) until untrackLive. */
  trackLive(call: OtherLiveCall): void;
  untrackLive(id: string): void;
  /** The calls trackLive shows now. */
  liveCalls(): OtherLiveCall[];
}

export interface AnchoredCallRegistryOptions {
  store?: AnchoredCallStore;
  sink?: CallRecordSink;
  log?: Logger;
  metrics?: Registry;
  nodeId?: string | null;
  now?: () => number;
}

interface Tracked {
  call: AnchoredCall;
  live: CallLike | undefined;
  farSide: 'a' | 'b';
  userRole: LegRole;
}

export class AnchoredCallRegistry implements AnchoredCalls {
  private readonly calls = new Map<string, Tracked>();
  private readonly byRef = new Map<string, string>();
  private readonly live = new Map<string, OtherLiveCall>();
  private readonly store: AnchoredCallStore;
  private readonly sink: CallRecordSink;
  private readonly now: () => number;
  private readonly recordsTotal: Counter<'origin' | 'anchored'> | undefined;

  constructor(private readonly options: AnchoredCallRegistryOptions = {}) {
    this.store = options.store ?? new MemoryAnchoredCallStore();
    this.sink = options.sink ?? new RingBufferRecordSink();
    this.now = options.now ?? Date.now;
    const reg = options.metrics;
    if (reg !== undefined) {
      this.recordsTotal = new Counter({
        name: 'ma_call_records_total',
        help: 'Call records written (GEN-07), by the feature that created the call',
        labelNames: ['origin', 'anchored'],
        registers: [reg],
      });
      const calls = this.calls;
      new Gauge({
        name: 'ma_anchored_calls',
        help: 'Anchored calls in progress, by origin (must return to 0)',
        labelNames: ['origin'],
        registers: [reg],
        collect() {
          const n = new Map<string, number>(ANCHORED_ORIGINS.map((o) => [o, 0]));
          for (const t of calls.values()) n.set(t.call.origin, (n.get(t.call.origin) ?? 0) + 1);
          for (const [origin, v] of n) this.set({ origin }, v);
        },
      });
    }
  }

  get size(): number {
    return this.calls.size;
  }

  register(live: CallLike | undefined, info: RegisterInfo): AnchoredCall {
    const id = info.id ?? live?.id;
    if (id === undefined) throw new Error('an anchored call needs an id (or a call)');
    const existing = this.calls.get(id);
    if (existing !== undefined) return structuredClone(existing.call);
    const call: AnchoredCall = {
      id,
      user: info.user ?? null,
      line: info.line ?? null,
      origin: info.origin,
      farLeg: info.farLeg ?? null,
      userLegs: [...(info.userLegs ?? [])],
      state: info.state ?? 'alerting',
      anchored: info.anchored ?? true,
      startedAt: live?.startedAt ?? this.now(),
      nodeId: this.options.nodeId ?? null,
      ...(live !== undefined ? { callRef: live.id } : {}),
    };
    const t: Tracked = { call, live, farSide: info.farSide ?? 'a', userRole: info.userRole ?? 'DESK' };
    this.calls.set(id, t);
    if (call.callRef !== undefined) this.byRef.set(call.callRef, id);
    this.sync(t);
    this.save(t);
    return structuredClone(call);
  }

  update(id: string, patch: AnchoredPatch): AnchoredCall | undefined {
    const t = this.calls.get(id);
    if (t === undefined) return undefined;
    const c = t.call;
    if (patch.user !== undefined) c.user = patch.user;
    if (patch.line !== undefined) c.line = patch.line;
    if (patch.anchored !== undefined) c.anchored = patch.anchored;
    if (patch.farLeg !== undefined) c.farLeg = patch.farLeg === null ? null : { ...patch.farLeg, role: 'FAR' };
    if (patch.userRole !== undefined) t.userRole = patch.userRole;
    if (patch.callRef !== undefined && patch.callRef !== c.callRef) {
      if (c.callRef !== undefined && this.byRef.get(c.callRef) === id) this.byRef.delete(c.callRef);
      c.callRef = patch.callRef;
      this.byRef.set(patch.callRef, id);
    }
    // The live call's own times win over ours: read its dialogs first.
    this.sync(t);
    if (patch.state !== undefined) {
      c.state = patch.state;
      if (patch.state === 'connected' && c.connectedAt === undefined) c.connectedAt = this.now();
    }
    if (patch.addUserLeg !== undefined) mergeLeg(c.userLegs, patch.addUserLeg);
    if (patch.releaseUserLeg !== undefined) {
      const leg = c.userLegs.find((l) => l.callId === patch.releaseUserLeg);
      if (leg !== undefined && leg.releasedAt === undefined) leg.releasedAt = this.now();
    }
    this.save(t);
    return structuredClone(c);
  }

  end(id: string, info: EndInfo = {}): CallRecord | undefined {
    const t = this.calls.get(id);
    if (t === undefined) return undefined;
    this.sync(t);
    this.calls.delete(id);
    const c = t.call;
    if (c.callRef !== undefined && this.byRef.get(c.callRef) === id) this.byRef.delete(c.callRef);
    const endedAt = this.now();
    const connectedAt = c.connectedAt ?? t.live?.connectedAt ?? null;
    for (const l of [...(c.farLeg !== null ? [c.farLeg] : []), ...c.userLegs]) l.releasedAt ??= endedAt;
    const record: CallRecord = {
      id: c.id,
      user: c.user,
      line: c.line,
      origin: c.origin,
      anchored: c.anchored,
      farLeg: c.farLeg,
      userLegs: c.userLegs,
      finalState: c.state,
      startedAt: c.startedAt,
      connectedAt,
      endedAt,
      durationMs: connectedAt === null ? 0 : Math.max(0, endedAt - connectedAt),
      result: info.result ?? (connectedAt === null ? 'failed' : 'answered'),
      ...(info.status !== undefined ? { status: info.status } : {}),
      ...(info.by !== undefined ? { by: info.by } : {}),
      ...(c.callRef !== undefined ? { callRef: c.callRef } : {}),
    };
    this.sink.add(record);
    this.recordsTotal?.inc({ origin: c.origin, anchored: String(c.anchored) });
    this.options.log?.info({ callRecord: record }, 'call record');
    this.store.remove(id).catch((e: Error) => this.options.log?.error({ err: e.message, id }, 'anchored call store: remove failed'));
    return structuredClone(record);
  }

  get(id: string): AnchoredCall | undefined {
    const t = this.calls.get(id);
    return t === undefined ? undefined : structuredClone(t.call);
  }

  byCallRef(callRef: string): AnchoredCall | undefined {
    const id = this.byRef.get(callRef);
    return id === undefined ? undefined : this.get(id);
  }

  list(): AnchoredCall[] {
    return [...this.calls.values()].map((t) => structuredClone(t.call));
  }

  records(limit?: number): CallRecord[] {
    return this.sink.recent(limit);
  }

  trackLive(call: OtherLiveCall): void {
    this.live.set(call.id, call);
  }

  untrackLive(id: string): void {
    this.live.delete(id);
  }

  liveCalls(): OtherLiveCall[] {
    return [...this.live.values()];
  }

  /** Calls shown by trackLive (returns to 0). */
  get liveSize(): number {
    return this.live.size;
  }

  /** Read the legs' dialogs from the live call (FAR side and user side). */
  private sync(t: Tracked): void {
    const live = t.live;
    if (live === undefined) return;
    const c = t.call;
    const far = t.farSide === 'a' ? live.aDialog : live.bDialog;
    const user = t.farSide === 'a' ? live.bDialog : live.aDialog;
    if (far !== undefined) c.farLeg = { ...(c.farLeg ?? {}), ...legOf('FAR', far) };
    else if (c.farLeg === null && t.farSide === 'a' && live.a !== undefined) {
      const req = live.a.request;
      const from = req.get('from');
      c.farLeg = { role: 'FAR', callId: req.callId, ...(from !== undefined ? { peer: stripTag(from) } : {}) };
    }
    if (user !== undefined) {
      const leg = legOf(t.userRole, user);
      if (live.connectedAt !== undefined) leg.connectedAt = live.connectedAt;
      mergeLeg(c.userLegs, leg);
    }
    if (live.connectedAt !== undefined && c.connectedAt === undefined) {
      c.connectedAt = live.connectedAt;
      if (c.state === 'alerting') c.state = 'connected';
    }
  }

  private save(t: Tracked): void {
    this.store.put(t.call).catch((e: Error) => this.options.log?.error({ err: e.message, id: t.call.id }, 'anchored call store: write failed'));
  }
}

/** A leg entry for a dialog (Call-ID, our tag, the peer's tag and URI). */
export function legFromDialog(role: LegRole, d: DialogLike): AnchoredLeg {
  return legOf(role, d);
}

function legOf(role: LegRole, d: DialogLike): AnchoredLeg {
  return { role, callId: d.callId, localTag: d.localTag, remoteTag: d.remoteTag, peer: stripTag(d.remoteUri.toString()) };
}

/** Add a leg, or merge it into the one with the same Call-ID (keeping what was known). */
function mergeLeg(list: AnchoredLeg[], leg: AnchoredLeg): void {
  const i = list.findIndex((l) => l.callId === leg.callId);
  if (i === -1) list.push({ ...leg });
  else list[i] = { ...list[i]!, ...leg };
}

function stripTag(v: string): string {
  return v.replace(/;\s*tag=[^;>]*/gi, '').trim();
}
