/**
 * Single Number Reach (spec §6: SNR-01..14, TMR-01..05, VMA-01..06, ACL-01..05, CLI-04,
 * ANC-04, DM-02, LIM-01, LIM-04, D-05, D-09..D-14, D-42, D-44).
 *
 * A call to a line rings the devices the router found and, in parallel, every eligible RD/MI
 * of the users whose RD profile or mobile client shares the line, as separate trunk legs
 * (rerouting CSS). Per fork: Delay Before Ringing (CallTarget.delayMs), Answer Too Late
 * (ringTimeoutMs, kept through early media), Answer Too Soon or user-control confirmation
 * (CallTarget.answerTooSoonMs / confirm), no early media to the caller. The call as a whole:
 * at the line's no-answer time every fork is cancelled and the call forwarded to the line's
 * forward-no-answer destination with Diversion reason no-answer (SNR-06); when nothing is
 * left to ring the same forward applies (busy desk: forward-busy, reason user-busy); at most
 * two SNR calls per user at a time (SNR-07, D-10). The desk SNR codes turn SNR on and off.
 *
 * The feature shapes targets in lineTargets and follows the call it shaped through
 * observeCall (B2BCall), which also lets it divert the call on no answer.
 */
import type { Statement } from 'better-sqlite3';
import { type BranchConfirmation, type BranchEvent, type CallEnd, type CallTarget, type B2BCall, observeCall } from '../../b2bua/call.js';
import type { Directory } from '../../directory/directory.js';
import type { EnterpriseLine, MobileClientDevice, RemoteDestination, Trunk } from '../../directory/types.js';
import { contactValue } from '../../registrar/registrar.js';
import type { Caller } from '../../routing/router.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { Feature, FeatureContext } from '../feature.js';
import { callingPartyOf } from './acl.js';
import { type Announcement, announce } from './announce.js';
import { RtpengineDtmfEvents } from './dtmf-events.js';
import { type MiMode, type SkipReason, miMode, skipReason } from './eligibility.js';
import { type DestinationKind, SnrMetrics } from './metrics.js';
import { ACCEPT_PROMPT, SNR_ERROR_TONE, SNR_OFF_TONE, SNR_ON_TONE, durationMs, toneSequenceWav } from './prompt.js';
import { setSnr, snrStatus } from './snr-control.js';
import { type TargetDeps, forwardGroups, rdForkTarget } from './targets.js';
import { forkTimers, timerWarnings } from './timers.js';
import { confirmByKeyPress } from './user-control.js';

/** SNR-07 / LIM-01: simultaneous SNR calls per user. */
export const MAX_SNR_CALLS_PER_USER = 2;
/** SNR-03 / LIM-01: RDs per user (provisioning enforces it; forks are capped too). */
export const MAX_RDS_PER_USER = 10;

const BUSY = new Set([486, 600, 603]);

export interface SnrOptions {
  /**
   * Where rtpengine's `--dtmf-log-dest` sends detected RFC 4733 digits: the feature listens
   * there and accepts user-control legs on them. Without it only SIP INFO digits count.
   */
  dtmfEvents?: { host: string; port: number };
  /** A recorded "press any key to accept" prompt readable by rtpengine (default: a tone pattern). */
  promptFile?: string;
  /** Clock for ring schedules (tests). */
  now?: () => Date;
}

export interface SnrForkOptions {
  /** RDs not to fork to (already rung by another leg of the call, e.g. ISC's rerouted leg). */
  exclude?: readonly string[];
  /** When the call reached the DN: Delay Before Ringing counts from here (D-11). Default: now. */
  arrivedAt?: number;
  /**
   * The call cannot confirm a branch (CallTarget.confirm: a new leg of a running call,
   * b2bua/new-leg.ts): user-control RDs get timer control instead (Answer Too Soon, VMA-01),
   * rather than being accepted without a key press.
   */
  timerControlOnly?: boolean;
}

/** SNR forks for calls other features run (ISC RASL, D-51; park reversion, D-20). */
export interface SnrForkSource {
  forksFor(line: EnterpriseLine, caller: Caller, opts?: SnrForkOptions): CallTarget[];
  /** DM-02/DM-04: how a mobile client takes inbound calls right now (from its registration). */
  clientMode(device: MobileClientDevice): MiMode;
  /** Devices on `line` whose VoIP registration must not ring (DM-02 "SNR inbound", DM-06 DND). */
  silencedDevices(line: EnterpriseLine): Set<string>;
}

/**
 * Options from the environment:
 *   MA_SNR_DTMF_EVENTS   host:port rtpengine's --dtmf-log-dest points at. The server itself now
 *                        listens (config media.dtmfEvents, this variable overrides it) and the
 *                        feature uses FeatureContext.dtmf; this listener is only the fallback
 *                        when the server has none.
 *   MA_SNR_PROMPT_FILE   the user-control prompt file
 */
export function snrOptionsFromEnv(env: Record<string, string | undefined> = process.env): SnrOptions {
  const out: SnrOptions = {};
  const d = env['MA_SNR_DTMF_EVENTS'];
  const m = d === undefined ? null : /^(.+):(\d{1,5})$/.exec(d.trim());
  if (m !== null) out.dtmfEvents = { host: m[1]!, port: Number(m[2]) };
  const p = env['MA_SNR_PROMPT_FILE'];
  if (p !== undefined && p !== '') out.promptFile = p;
  return out;
}

interface Parent {
  kind: 'rdProfile' | 'mobileClient';
  id: string;
  owner: string;
  rerouteCss: string | null;
  dnd: boolean;
  device?: MobileClientDevice;
}

interface Fork {
  rd: RemoteDestination;
  owner: string;
  kind: DestinationKind;
  target: CallTarget;
  trunk: Trunk;
}

/** One call to a line that SNR shaped. */
interface SnrCall {
  id: string;
  line: EnterpriseLine;
  arrivedAt: number;
  noAnswerMs: number;
  /** Users this call counts against (SNR-07): those with at least one fork. */
  users: string[];
  call: B2BCall | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Forwarded (or decided not to be): the no-answer timer and onExhausted do nothing more. */
  forwarded: boolean;
  cfna: CallTarget[][] | undefined;
  cfb: () => CallTarget[][] | undefined;
  /** Desk targets not failed yet (all busy = the user is busy). */
  deskPending: Set<CallTarget>;
  /** Trunk calls this call holds (LIM-04): its inbound leg and launched RD forks. */
  trunkLegs: Map<CallTarget | 'inbound', string>;
  answered: DestinationKind | undefined;
  /** The caller came in over a trunk (GEN-02: the call has a trunk leg whoever answers). */
  callerTrunk: boolean;
}

export class SnrFeature implements Feature, SnrForkSource {
  readonly name = 'snr';
  private ctx: FeatureContext | undefined;
  private metrics: SnrMetrics | undefined;
  private dtmf: RtpengineDtmfEvents | undefined;
  /** The listener is this feature's own (env MA_SNR_DTMF_EVENTS without a server one): close it. */
  private ownDtmf = false;
  /** §17.2 SnrCallCounter: active SNR calls per user. */
  private readonly activeByUser = new Map<string, Set<string>>();
  private readonly calls = new Map<string, SnrCall>();
  /** Trunk calls held by SNR calls, per trunk id (LIM-04). */
  private readonly trunkUse = new Map<string, number>();
  private readonly announcements = new Set<Announcement>();
  private readonly warned = new Set<string>();
  private readonly prompt = toneSequenceWav(ACCEPT_PROMPT);
  private profilesOnLine: { db: unknown; stmt: Statement } | undefined;

  constructor(private readonly options: SnrOptions = {}) {}

  async start(ctx: FeatureContext): Promise<void> {
    this.ctx = ctx;
    this.metrics = new SnrMetrics(ctx.metrics, () => this.sizes());
    const d = this.options.dtmfEvents;
    if (ctx.dtmf !== undefined) this.dtmf = ctx.dtmf;
    else if (d !== undefined) {
      try {
        this.dtmf = await RtpengineDtmfEvents.open(d.host, d.port);
        this.ownDtmf = true;
        ctx.log.info({ dtmfEvents: `${d.host}:${d.port}` }, 'SNR: listening for rtpengine DTMF events');
      } catch (e) {
        ctx.log.error({ err: (e as Error).message }, 'SNR: cannot listen for rtpengine DTMF events; user control takes SIP INFO digits only');
      }
    }
  }

  /** Sizes of the feature's maps: each returns to 0 when no call is up. */
  sizes(): Record<string, number> {
    return {
      calls: this.calls.size,
      users: this.activeByUser.size,
      trunks: this.trunkUse.size,
      announcements: this.announcements.size,
      dtmfSubscriptions: this.dtmf?.size ?? 0,
    };
  }

  /** Active SNR calls of a user (SNR-07). */
  activeCalls(userId: string): number {
    return this.activeByUser.get(userId)?.size ?? 0;
  }

  close(): void {
    for (const a of this.announcements) a.stop();
    for (const c of this.calls.values()) clearTimeout(c.timer);
    if (this.ownDtmf) this.dtmf?.close();
    this.dtmf = undefined;
    this.ownDtmf = false;
  }

  // ------------------------------------------------------------ desk SNR codes
  /** SNR-11 / D-14: `snrOnCode`, `snrOffCode`, `snrStatusCode` dialled from a desk device. */
  onInvite(inv: IncomingInvite, caller: Caller, ctx: FeatureContext): boolean {
    if (caller.kind !== 'device') return false;
    const dialled = ctx.router.dialled(inv.request);
    if (dialled === undefined) return false;
    const m = ctx.directory.mobilityParameters();
    const code = dialled === m.snrOnCode ? 'on' : dialled === m.snrOffCode ? 'off' : dialled === m.snrStatusCode ? 'status' : undefined;
    if (code === undefined) return false;
    const userId = caller.device.ownerUser;
    if (userId === null) {
      inv.reject(403, { reason: 'Forbidden - the device has no user' });
      return true;
    }
    let tone = SNR_ERROR_TONE;
    let fallback = { status: 500, reason: 'Server Internal Error - SNR setting not stored' };
    try {
      const on = code === 'status' ? snrStatus(ctx.directory, userId) : (setSnr(ctx.directory, userId, code === 'on'), code === 'on');
      tone = on ? SNR_ON_TONE : SNR_OFF_TONE;
      // Without media the answer is the only feedback: 603 + reason phrase.
      fallback = { status: 603, reason: `Decline - SNR is ${on ? 'on' : 'off'}` };
      ctx.log.info({ user: userId, code, on }, 'SNR desk code');
    } catch (e) {
      // SNR-14: the change fails visibly; calls in progress are not touched.
      ctx.log.error({ user: userId, code, err: (e as Error).message }, 'SNR desk code: the change could not be stored');
    }
    const a = announce(inv, { ua: ctx.ua, anchor: ctx.callMedia === undefined ? undefined : ctx.anchor, log: ctx.log }, toneSequenceWav(tone), fallback);
    this.announcements.add(a);
    void a.done.finally(() => this.announcements.delete(a));
    return true;
  }

  // ------------------------------------------------------------ calls to lines
  lineTargets(line: EnterpriseLine, caller: Caller, deskTargets: CallTarget[], inv: IncomingInvite, ctx: FeatureContext): CallTarget[][] | undefined {
    const arrivedAt = Date.now();
    const dir = ctx.directory;
    const m = dir.mobilityParameters();
    const deps: TargetDeps = { directory: dir, router: ctx.router, domain: ctx.config.domain };
    const noAnswerMs = (line.noAnswerRingDurationS ?? m.forwardNoAnswerTimerS) * 1000;
    const skipped = (why: SkipReason): void => this.metrics?.skipped.inc({ reason: why });

    // SNR-01/02: every eligible RD/MI of the parents (RD profiles, mobile clients) sharing the line.
    const { forks, silenced } = this.eligibleForks(line, caller, ctx, new Set());
    const desk = deskTargets.filter((t) => !silenced.has(deskDeviceOf(t) ?? ''));

    // SNR-07 / D-10: a user with two SNR calls up gets the third one sent to voicemail (or desk only).
    const snrUsers = [...new Set(forks.map((f) => f.owner))];
    if (snrUsers.some((u) => this.activeCalls(u) >= MAX_SNR_CALLS_PER_USER)) {
      if (m.snrOverflowAction === 'voicemail') {
        const vm = forwardGroups(deps, line, line.voicemailPilot ?? line.callForwardNoAnswer, caller, inv.request, 'user-busy');
        if (vm !== undefined) {
          this.metrics?.overflow.inc({ action: 'voicemail' });
          this.metrics?.forwarded.inc({ reason: 'user-busy' });
          ctx.log.info({ line: line.number, users: snrUsers }, 'SNR: call limit reached, call sent to voicemail (SNR-07)');
          return vm;
        }
      }
      this.metrics?.overflow.inc({ action: 'deskOnly' });
      for (let i = 0; i < forks.length; i++) skipped('tooMany');
      forks.length = 0;
      snrUsers.length = 0;
    }

    const cfna = forwardGroups(deps, line, line.callForwardNoAnswer ?? line.voicemailPilot, caller, inv.request, 'no-answer');
    if (forks.length === 0 && cfna === undefined && desk.length === deskTargets.length) return undefined; // nothing for SNR to do
    if (forks.length === 0 && desk.length === 0) {
      // Nothing can ring: straight to the forward destination (or the router's 480).
      if (cfna === undefined) return [[]];
      this.metrics?.forwarded.inc({ reason: 'unavailable' });
      return forwardGroups(deps, line, line.callForwardNoAnswer ?? line.voicemailPilot, caller, inv.request, 'unavailable');
    }

    const st: SnrCall = {
      id: inv.request.callId,
      line,
      arrivedAt,
      noAnswerMs,
      users: snrUsers,
      call: undefined,
      timer: undefined,
      forwarded: false,
      cfna,
      cfb: () => forwardGroups(deps, line, line.callForwardBusy, caller, inv.request, 'user-busy'),
      deskPending: new Set(),
      trunkLegs: new Map(),
      answered: undefined,
      callerTrunk: caller.kind === 'trunk',
    };
    // The call-level no-answer timer replaces the desk's own ring timeout (SNR-06).
    const deskOut = desk.map((t) => {
      const { ringTimeoutMs: _line, ...rest } = t;
      const x: CallTarget = { ...rest };
      x.onEvent = (e) => this.onDeskEvent(st, x, e);
      st.deskPending.add(x);
      return x;
    });
    const forkOut = forks.map((f) => {
      const t = this.forkTarget(ctx, f, line, noAnswerMs, arrivedAt);
      t.onEvent = (e) => this.onForkEvent(st, t, f.kind, f.trunk.id, e);
      return t;
    });
    const inboundTrunk = caller.kind === 'trunk' && snrUsers.length > 0 ? caller.trunk.id : undefined;
    observeCall(inv, {
      onStart: (call) => {
        st.call = call;
        this.calls.set(st.id, st);
        // GEN-07 / §17.2: the call is anchored once it has a trunk leg (caller or an RD fork).
        ctx.anchored?.register(call, { id: st.id, origin: 'snr', user: snrUsers[0] ?? null, line: line.number, farSide: 'a', anchored: st.callerTrunk || forks.length > 0 });
        for (const u of st.users) {
          let s = this.activeByUser.get(u);
          if (s === undefined) this.activeByUser.set(u, (s = new Set()));
          s.add(st.id);
        }
        if (inboundTrunk !== undefined) this.holdTrunk(st, 'inbound', inboundTrunk);
        // SNR-05: the caller hears ringing while only delayed RD forks are pending (no desk to send 180).
        if (deskOut.length === 0 && inv.finalStatus === undefined) inv.progress(180);
        st.timer = setTimeout(() => this.onNoAnswer(st), Math.max(0, st.noAnswerMs - (Date.now() - st.arrivedAt)));
      },
      onConnected: (call) => {
        clearTimeout(st.timer);
        st.timer = undefined;
        ctx.anchored?.update(st.id, { state: 'connected' });
        // §7, §9: an RD (or a mobile identity over the cellular network) answered: mid-call codes and desk pickup.
        const user = snrUsers[0] === undefined ? undefined : (ctx.directory.users.get(snrUsers[0]) ?? undefined);
        if ((st.answered === 'rd' || st.answered === 'mi') && user !== undefined) ctx.midCall?.attach({ call, userSide: 'b', user, line });
      },
      onEnd: (_call, end) => this.onCallEnd(st, end),
      onExhausted: (_call, status) => this.onExhausted(st, status),
    });
    ctx.log.debug(
      { callId: st.id, line: line.number, desk: deskOut.length, forks: forkOut.map((t) => `${t.label}@${t.delayMs ?? 0}ms`), noAnswerMs },
      'SNR: ringing the line',
    );
    return [[...deskOut, ...forkOut]];
  }

  /**
   * SNR-01/02: a fork per eligible RD/MI of the parents (RD profiles, mobile clients) sharing
   * the line, and the devices whose VoIP registration must not ring (DM-02 snr, DM-06).
   * `exclude`: RDs another leg of the call already rings (ISC's rerouted leg).
   */
  private eligibleForks(line: EnterpriseLine, caller: Caller, ctx: FeatureContext, exclude: ReadonlySet<string>): { forks: Fork[]; silenced: Set<string> } {
    const dir = ctx.directory;
    const deps: TargetDeps = { directory: dir, router: ctx.router, domain: ctx.config.domain };
    const skipped = (why: SkipReason): void => this.metrics?.skipped.inc({ reason: why });
    const party = callingPartyOf(caller);
    // ANC-04: never back to the RD/MI the call comes from (the router's one caller-ID lookup).
    const callerRdId = caller.kind === 'trunk' ? caller.callingRd?.id : undefined;
    const at = this.options.now?.() ?? new Date();
    const silenced = new Set<string>(); // devices whose VoIP registration must not ring (DM-02 snr, DM-06)
    const forks: Fork[] = [];
    for (const p of this.parentsOn(line, dir)) {
      const user = dir.findUser(p.owner);
      let mode: MiMode | undefined;
      if (p.device !== undefined) {
        mode = modeOf(p.device, ctx);
        if (mode === 'snr' || p.device.dndEnabled) silenced.add(p.device.id);
      }
      const rds = dir
        .listRemoteDestinations(p.owner)
        .filter((rd) => rd.parent.kind === p.kind && rd.parent.id === p.id)
        .slice(0, MAX_RDS_PER_USER);
      for (const rd of rds) {
        if (exclude.has(rd.id)) continue;
        if (p.device !== undefined && !p.device.hasCellularRadio) {
          skipped('noCellularRadio'); // DM-01: tablets are not eligible for SNR
          continue;
        }
        const why = skipReason({
          rd,
          user,
          parentDnd: p.dnd,
          miMode: rd.isMobilityIdentity ? mode : undefined,
          callerRdId,
          party,
          at,
          schedule: rd.ringSchedule === null ? null : (dir.ringSchedules.get(rd.ringSchedule) ?? 'missing'),
          lists: (id) => dir.accessLists.get(id),
          timeZone: user?.timeZone ?? 'UTC',
        });
        if (why !== undefined) {
          skipped(why);
          continue;
        }
        const ft = rdForkTarget(deps, rd, p.rerouteCss, line, caller);
        if (!ft.ok) {
          skipped(ft.why);
          ctx.log.warn({ rd: rd.id, number: rd.number, why: ft.why }, 'SNR: remote destination cannot be reached');
          continue;
        }
        // LIM-04: leave out RD forks, never the primary call, when the trunk is full.
        const max = ft.trunk.maxConcurrentCalls;
        if (max !== null) {
          const inbound = caller.kind === 'trunk' && caller.trunk.id === ft.trunk.id ? 1 : 0;
          const planned = forks.filter((f) => f.trunk.id === ft.trunk.id).length;
          if ((this.trunkUse.get(ft.trunk.id) ?? 0) + inbound + planned >= max) {
            skipped('trunkFull');
            continue;
          }
        }
        forks.push({ rd, owner: p.owner, kind: rd.isMobilityIdentity ? 'mi' : 'rd', target: ft.target, trunk: ft.trunk });
      }
    }
    return { forks, silenced };
  }

  /** §6.2/§6.3 on one fork: Delay Before Ringing from `arrivedAt`, Answer Too Soon/Late, user control. */
  private forkTarget(ctx: FeatureContext, f: Fork, line: EnterpriseLine, noAnswerMs: number, arrivedAt: number, timerControlOnly = false): CallTarget {
    const m = ctx.directory.mobilityParameters();
    const rd = timerControlOnly ? { ...f.rd, snrVoicemailPolicy: 'timerControl' as const } : f.rd;
    const tm = forkTimers(rd, m.voicemailSelectionPolicy, Date.now() - arrivedAt);
    this.warnTimers(ctx, line, noAnswerMs, f.rd);
    const t: CallTarget = {
      ...f.target,
      label: `${f.kind}:${f.rd.id}`,
      delayMs: tm.delayMs,
      ringTimeoutMs: tm.answerTooLateMs,
      answerTooSoonMs: tm.answerTooSoonMs,
      noEarlyMedia: true,
    };
    if (tm.policy === 'userControl') {
      const settings = { promptDelayMs: m.userControlPromptDelayMs, dtmfWaitMs: m.userControlDtmfWaitMs };
      t.confirm = (c) => this.confirm(c, settings);
    }
    return t;
  }

  /**
   * SnrForkSource: the SNR forks of a call SNR does not run itself (ISC's RASL forks to the
   * user's other RDs, D-51; park reversion, D-20). Same eligibility, timers and voicemail
   * avoidance as lineTargets' forks, metrics counted; the call's own no-answer forward and
   * the SNR-07 call count stay with the feature that runs the call.
   */
  forksFor(line: EnterpriseLine, caller: Caller, opts: SnrForkOptions = {}): CallTarget[] {
    const ctx = this.ctx;
    if (ctx === undefined) return [];
    const arrivedAt = opts.arrivedAt ?? Date.now();
    const m = ctx.directory.mobilityParameters();
    const noAnswerMs = (line.noAnswerRingDurationS ?? m.forwardNoAnswerTimerS) * 1000;
    const { forks } = this.eligibleForks(line, caller, ctx, new Set(opts.exclude ?? []));
    return forks.map((f) => {
      const t = this.forkTarget(ctx, f, line, noAnswerMs, arrivedAt, opts.timerControlOnly);
      t.onEvent = (e) => this.countForkEvent(f.kind, e);
      return t;
    });
  }

  clientMode(device: MobileClientDevice): MiMode {
    return this.ctx === undefined ? 'unregistered' : modeOf(device, this.ctx);
  }

  silencedDevices(line: EnterpriseLine): Set<string> {
    const silenced = new Set<string>();
    const ctx = this.ctx;
    if (ctx === undefined) return silenced;
    for (const p of this.parentsOn(line, ctx.directory)) {
      if (p.device !== undefined && (p.device.dndEnabled || modeOf(p.device, ctx) === 'snr')) silenced.add(p.device.id);
    }
    return silenced;
  }

  // ------------------------------------------------------------ call events
  private onDeskEvent(st: SnrCall, t: CallTarget, e: BranchEvent): void {
    if (e.kind === 'won') {
      st.answered = 'desk';
      this.metrics?.answers.inc({ kind: 'desk' });
      // Answered at the desk: a trunk leg remains only if the caller came over a trunk (GEN-02).
      this.ctx?.anchored?.update(st.id, { userRole: 'DESK', anchored: st.callerTrunk });
    } else if (e.kind === 'failed') {
      st.deskPending.delete(t);
      // Every desk device busy or declining: the user is busy; pending RD forks stop too and
      // the call takes the line's forward-busy, or the caller gets the busy status.
      if (BUSY.has(e.status) && st.deskPending.size === 0 && !st.forwarded) st.call?.divert([], e.status);
    }
  }

  private onForkEvent(st: SnrCall, t: CallTarget, kind: DestinationKind, trunkId: string, e: BranchEvent): void {
    this.countForkEvent(kind, e);
    if (e.kind === 'launched') this.holdTrunk(st, t, trunkId);
    else if (e.kind === 'failed') this.releaseTrunk(st, t);
    else if (e.kind === 'won') {
      st.answered = kind;
      this.ctx?.anchored?.update(st.id, { userRole: 'RD', anchored: true });
    }
  }

  /** Fork metrics (every SNR fork, whichever feature runs its call). */
  private countForkEvent(kind: DestinationKind, e: BranchEvent): void {
    const mt = this.metrics;
    switch (e.kind) {
      case 'launched':
        mt?.forks.inc({ kind });
        break;
      case 'answer-too-soon':
        mt?.answerTooSoon.inc({ kind });
        break;
      case 'ring-timeout':
        mt?.answerTooLate.inc({ kind });
        break;
      case 'confirm-failed':
        if (e.why !== 'rejected') mt?.userControl.inc({ result: e.why });
        break;
      case 'won':
        mt?.answers.inc({ kind });
        break;
      default:
        break;
    }
  }

  private confirm(c: BranchConfirmation, s: { promptDelayMs: number; dtmfWaitMs: number }): Promise<boolean> {
    const ctx = this.ctx!;
    const prompt = this.options.promptFile !== undefined ? { file: this.options.promptFile } : { blob: this.prompt };
    return confirmByKeyPress(
      c,
      { ...s, prompt, promptMs: durationMs(ACCEPT_PROMPT) },
      ctx.callMedia === undefined ? undefined : ctx.anchor,
      this.dtmf,
      ctx.log,
      {
        onDigit: (digit, via) => ctx.log.info({ callId: c.callId, digit, via }, 'SNR user control: key pressed, leg accepted'),
        onResult: (r) => {
          if (r !== 'aborted') this.metrics?.userControl.inc({ result: r });
        },
      },
    );
  }

  /** SNR-06: the line's no-answer time ran out: cancel every fork, forward (or 480). */
  private onNoAnswer(st: SnrCall): void {
    st.timer = undefined;
    if (st.forwarded || st.call === undefined) return;
    st.forwarded = true;
    const groups = st.cfna ?? [];
    if (st.call.divert(groups, 480) && groups.length > 0) this.metrics?.forwarded.inc({ reason: 'no-answer' });
  }

  /** Nothing answered and nothing is left to ring: forward-busy or forward-no-answer, once. */
  private onExhausted(st: SnrCall, status: number): CallTarget[][] | undefined {
    if (st.forwarded) return undefined;
    st.forwarded = true;
    clearTimeout(st.timer);
    st.timer = undefined;
    if (BUSY.has(status)) {
      const g = st.cfb();
      if (g !== undefined) this.metrics?.forwarded.inc({ reason: 'user-busy' });
      return g;
    }
    if (st.cfna !== undefined) this.metrics?.forwarded.inc({ reason: 'no-answer' });
    return st.cfna;
  }

  private onCallEnd(st: SnrCall, end: CallEnd): void {
    clearTimeout(st.timer);
    st.timer = undefined;
    if (this.calls.get(st.id) === st) this.calls.delete(st.id);
    for (const u of st.users) {
      const s = this.activeByUser.get(u);
      s?.delete(st.id);
      if (s !== undefined && s.size === 0) this.activeByUser.delete(u);
    }
    for (const k of [...st.trunkLegs.keys()]) this.releaseTrunk(st, k);
    // GEN-07: one call record per call (FAR = the caller's leg, the winning leg as user leg).
    const by = end.by === 'a' ? 'far' : end.by === 'b' ? 'user' : end.by;
    this.ctx?.anchored?.end(st.id, { result: end.result, ...(end.status !== undefined ? { status: end.status } : {}), ...(by !== undefined ? { by } : {}) });
    this.metrics?.calls.inc({ answered: st.answered ?? (end.result === 'answered' ? 'forward' : 'none') });
  }

  private holdTrunk(st: SnrCall, key: CallTarget | 'inbound', trunkId: string): void {
    if (st.trunkLegs.has(key)) return;
    st.trunkLegs.set(key, trunkId);
    this.trunkUse.set(trunkId, (this.trunkUse.get(trunkId) ?? 0) + 1);
  }

  private releaseTrunk(st: SnrCall, key: CallTarget | 'inbound'): void {
    const id = st.trunkLegs.get(key);
    if (id === undefined) return;
    st.trunkLegs.delete(key);
    const n = (this.trunkUse.get(id) ?? 1) - 1;
    if (n <= 0) this.trunkUse.delete(id);
    else this.trunkUse.set(id, n);
  }

  // ------------------------------------------------------------ lookups
  /** RD profiles and mobile clients that share the line (the RDs' parents, §17.1). */
  private parentsOn(line: EnterpriseLine, dir: Directory): Parent[] {
    const out: Parent[] = [];
    if (this.profilesOnLine?.db !== dir.db) {
      this.profilesOnLine = { db: dir.db, stmt: dir.db.prepare('SELECT profile_id FROM rd_profile_lines WHERE line_id = ? ORDER BY profile_id') };
    }
    for (const r of this.profilesOnLine.stmt.all(line.id) as { profile_id: string }[]) {
      const p = dir.rdProfiles.get(r.profile_id);
      if (p !== undefined) out.push({ kind: 'rdProfile', id: p.id, owner: p.ownerUser, rerouteCss: p.rerouteCss, dnd: p.dndEnabled });
    }
    for (const d of dir.devicesOnLine(line.id)) {
      if (d.kind !== 'mobileClient' || d.ownerUser === null) continue;
      out.push({ kind: 'mobileClient', id: d.id, owner: d.ownerUser, rerouteCss: d.rerouteCss, dnd: d.dndEnabled, device: d });
    }
    return out;
  }

  /** TMR-04, logged once per line/RD/timer values. */
  private warnTimers(ctx: FeatureContext, line: EnterpriseLine, noAnswerMs: number, rd: RemoteDestination): void {
    const key = `${line.id}|${rd.id}|${noAnswerMs}|${rd.delayBeforeRingingMs}|${rd.answerTooSoonMs}|${rd.answerTooLateMs}`;
    if (this.warned.has(key)) return;
    if (this.warned.size > 10_000) this.warned.clear();
    this.warned.add(key);
    for (const w of timerWarnings(noAnswerMs, rd)) ctx.log.warn({ line: line.number, rd: rd.id }, w);
  }
}

/** The device id of a router desk target (label `device:<id>`). */
/** DM-04 / D-24: a client's mode from its registered Contacts and their parameters (`+mobility-inbound="snr"`). */
function modeOf(device: MobileClientDevice, ctx: FeatureContext): MiMode {
  const aorUser = device.aor === null ? undefined : /^sips?:([^@]+)@/i.exec(device.aor)?.[1];
  const now = Date.now();
  return miMode(device, aorUser === undefined ? [] : ctx.registrar.lookup(aorUser).map((b) => contactValue(b, now)));
}

export function deskDeviceOf(t: CallTarget): string | undefined {
  return t.label?.startsWith('device:') === true ? t.label.slice('device:'.length) : undefined;
}
