// MediaAnchor: the call model's only door to rtpengine.
//
// - Several rtpengine instances: a new call goes to the next instance round-robin and then
//   sticks to it (callId → instance). The entry is removed by a whole-call delete, so the map
//   returns to its idle size after every call (see `activeCalls`).
// - Failover on offer for a *new* call only: a timeout (or a resource error such as running
//   out of ports) moves on to the next instance; an instance that timed out is skipped for
//   `instanceCooldownMs` when picking instances for new calls. When every instance failed,
//   MediaUnavailableError names them (the server answers 503). An existing call cannot move:
//   its media state lives in its rtpengine.
// - rtpengine rejecting the SDP itself (Failed to parse SDP, ...) is MediaCommandError, not a
//   failover reason: every instance would say the same (the server answers 488).
// - No metrics library here: counters are exposed by `stats()` and every command is reported
//   to an optional observer, which the API layer turns into metrics.
//
// Findings on the installed Debian rtpengine 10.5.3.5 (userspace, built with ffmpeg/spandsp),
// verified by test/media/media-anchor.test.ts:
// - `play media` works from a file path rtpengine can read and from an in-message `blob`
//   (a WAV), returns `duration` in ms, and also before the answer (early media). The media is
//   sent *to* the participant named by from-tag. `stop media` stops it.
// - `play DTMF` answers ok even without the `inject-DTMF` flag but then sends nothing. With
//   inject-DTMF on offer+answer it replaces audio with RFC 4733 events (PT 101) in the stream
//   going to the *other* party, and only while that stream carries RTP.
// - SDP with `c=PSTN E164 ...` / `m=audio 9 PSTN -` is refused ("Failed to parse SDP"):
//   PSTN-bearer bodies (DVO) must never be sent to rtpengine; offer()/answer() refuse them.
// - delete of an unknown call answers ok with a warning; answer/query of an unknown call
//   answer `Unknown call-id`.
import { performance } from 'node:perf_hooks';
import type { BDict, BDecoded, BencodeValue } from './bencode.js';
import { isBDict } from './bencode.js';
import {
  NgClient,
  NgCommandError,
  NgTimeoutError,
  type NgEndpoint,
  type NgMessage,
} from './ng-client.js';

// ---- configuration -------------------------------------------------------------------------

export interface MediaInstanceConfig {
  /** Name for logs/metrics; default "host:port". */
  readonly name?: string;
  readonly host: string;
  readonly port: number;
}

export type IceOption = 'remove' | 'force' | 'default' | 'optional' | 'force-relay';

export interface MediaSessionDefaults {
  /** Default ['origin', 'session-connection']. */
  readonly replace?: readonly string[];
  /** Default 'remove'. */
  readonly ice?: IceOption;
  /** rtpengine `direction` (logical interface names for the two sides); default not sent. */
  readonly direction?: readonly [string, string];
  /** Extra ng flags added to every offer and answer (e.g. 'inject-DTMF'). */
  readonly flags?: readonly string[];
}

export interface MediaAnchorOptions {
  readonly instances: readonly MediaInstanceConfig[];
  /** Per-attempt timeout in ms (default 1000), one retransmission at half of it. */
  readonly timeoutMs?: number;
  readonly retransmitAfterMs?: number;
  /** An instance that timed out is tried last for new calls during this time (default 5000). */
  readonly instanceCooldownMs?: number;
  /** Local address for the ng socket (default 127.0.0.1). */
  readonly localAddress?: string;
  readonly defaults?: MediaSessionDefaults;
  readonly observer?: MediaObserver;
}

// ---- observer / counters -------------------------------------------------------------------

export type MediaCommandOutcome = 'ok' | 'error' | 'timeout';

export interface MediaCommandEvent {
  readonly instance: string;
  readonly command: string;
  readonly callId: string | undefined;
  readonly outcome: MediaCommandOutcome;
  readonly latencyMs: number;
  /** rtpengine's error-reason or warning. */
  readonly reason?: string;
}

export interface MediaFailoverEvent {
  readonly callId: string;
  readonly from: string;
  readonly reason: string;
}

export interface MediaObserver {
  onCommand?(e: MediaCommandEvent): void;
  onFailover?(e: MediaFailoverEvent): void;
  /** An instance went into cooldown after a timeout (up=false), or answered again (up=true). */
  onInstanceState?(e: { readonly instance: string; readonly up: boolean }): void;
}

export interface MediaInstanceStats {
  readonly name: string;
  readonly up: boolean;
  readonly calls: number;
  readonly commands: number;
  readonly errors: number;
  readonly timeouts: number;
}

export interface MediaStats {
  readonly activeCalls: number;
  readonly commands: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly failovers: number;
  readonly retransmits: number;
  readonly strayReplies: number;
  readonly pendingRequests: number;
  readonly instances: readonly MediaInstanceStats[];
}

// ---- errors --------------------------------------------------------------------------------

/** No rtpengine could take the call (all timed out or out of resources): answer 503. */
export class MediaUnavailableError extends Error {
  constructor(
    readonly callId: string,
    readonly tried: readonly string[],
    readonly reasons: readonly string[],
  ) {
    super(`no media anchor available for call ${callId}; tried ${tried.join(', ') || '(none)'}: ${reasons.join('; ')}`);
    this.name = 'MediaUnavailableError';
  }
}

/** rtpengine refused the command (bad SDP, unknown call, ...): usually answer 488 / 500. */
export class MediaCommandError extends Error {
  constructor(
    readonly instance: string,
    readonly command: string,
    readonly reason: string,
  ) {
    super(`rtpengine ${instance} refused '${command}': ${reason}`);
    this.name = 'MediaCommandError';
  }
}

/** A command for a call this anchor does not know (never offered, or already deleted). */
export class MediaCallUnknownError extends Error {
  constructor(readonly callId: string) {
    super(`media anchor has no call ${callId}`);
    this.name = 'MediaCallUnknownError';
  }
}

// ---- command parameters --------------------------------------------------------------------

export interface SdpCommonParams {
  readonly callId: string;
  /** The SIP From tag of the transaction carrying the offer (for a callee re-INVITE: the callee's). */
  readonly fromTag: string;
  readonly sdp: string;
  /** Top Via branch: distinguishes forked branches of one call (rtpengine `via-branch`). */
  readonly viaBranch?: string;
  /** Extra ng flags for this command only. */
  readonly flags?: readonly string[];
  readonly replace?: readonly string[];
  readonly ice?: IceOption;
  /** rtpengine `transport-protocol`; default not sent = keep the offered protocol. */
  readonly transportProtocol?: string;
  readonly direction?: readonly [string, string];
  /** Anything else, passed as-is into the ng dict (e.g. codec: {strip: [...]}). */
  readonly extra?: { readonly [key: string]: BencodeValue };
}

export interface OfferParams extends SdpCommonParams {
  /** Set for in-dialog re-offers (the To tag of the re-INVITE). */
  readonly toTag?: string;
}

export interface AnswerParams extends SdpCommonParams {
  readonly toTag: string;
}

export interface DeleteParams {
  readonly callId: string;
  readonly fromTag?: string;
  /** With toTag or viaBranch only that branch is deleted and the call stays known. */
  readonly toTag?: string;
  readonly viaBranch?: string;
}

export interface PlayMediaParams {
  readonly callId: string;
  /** Media is played *to* this participant. */
  readonly fromTag: string;
  /** Path readable by the rtpengine process. */
  readonly file?: string;
  /** Audio file contents (e.g. WAV) sent inside the ng message. */
  readonly blob?: Buffer;
  /** Play this many times (rtpengine `repeat-times`). */
  readonly repeatTimes?: number;
}

export interface TagParams {
  readonly callId: string;
  readonly fromTag?: string;
}

export interface PlayDtmfParams {
  readonly callId: string;
  /** DTMF goes into the stream sent to the *other* party of this tag. Needs flag 'inject-DTMF' at setup. */
  readonly fromTag: string;
  readonly code: string;
  readonly durationMs?: number;
  readonly volume?: number;
}

export interface SdpResult {
  readonly sdp: string;
  readonly instance: string;
  readonly warning?: string;
}

// ---- query results -------------------------------------------------------------------------

export interface PacketCounters {
  readonly packets: number;
  readonly bytes: number;
  readonly errors: number;
}

export interface StreamStats extends PacketCounters {
  /** rtpengine port this participant sends to. */
  readonly localPort: number;
  /** Where rtpengine sends to / learned this participant at. */
  readonly endpoint?: { readonly address: string; readonly port: number };
  readonly rtcp: boolean;
  readonly lastPacket?: number;
}

export interface MediaSectionStats {
  readonly index: number;
  readonly type: string;
  readonly protocol: string;
  readonly flags: readonly string[];
  readonly streams: readonly StreamStats[];
}

export interface LegStats {
  readonly tag: string;
  readonly label?: string;
  readonly viaBranch?: string;
  /** RTP received from this participant (sum over its media sections). */
  readonly rtp: PacketCounters;
  readonly rtcp: PacketCounters;
  readonly medias: readonly MediaSectionStats[];
}

/** From RTCP reports, when the endpoints send them. MOS is scaled to 1.0..5.0. */
export interface SsrcQuality {
  readonly ssrc: number;
  readonly averageMos?: number;
  readonly lowestMos?: number;
  readonly highestMos?: number;
  /** Average jitter in ms, packet loss in percent, round-trip time in µs (rtpengine units). */
  readonly jitter?: number;
  readonly packetLoss?: number;
  readonly roundTripTime?: number;
  readonly samples?: number;
}

export interface CallStats {
  readonly callId: string;
  readonly instance: string;
  readonly created?: number;
  readonly lastSignal?: number;
  readonly legs: readonly LegStats[];
  readonly totals: { readonly rtp: PacketCounters; readonly rtcp: PacketCounters };
  readonly ssrc: readonly SsrcQuality[];
  readonly raw: BDict;
}

// ---- implementation ------------------------------------------------------------------------

interface Instance {
  readonly name: string;
  readonly endpoint: NgEndpoint;
  downUntil: number;
  calls: number;
  commands: number;
  errors: number;
  timeouts: number;
}

interface CallEntry {
  instance: Instance;
  /** Set while the first offer of a new call is still choosing its instance. */
  settling: Promise<unknown> | undefined;
}

const RESOURCE_ERROR = /ran out of ports|limit reached|overload|no (?:free )?ports|not enough/i;
const PSTN_SDP = /^(?:c=PSTN\b|m=\S+ \d+(?:\/\d+)? PSTN\b)/m;

export class MediaAnchor {
  private readonly instances: Instance[];
  private readonly calls = new Map<string, CallEntry>();
  private rr = 0;
  private commands = 0;
  private errors = 0;
  private timeouts = 0;
  private failovers = 0;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly retransmitAfterMs: number;
  private readonly replace: readonly string[];
  private readonly ice: IceOption;
  private readonly direction: readonly [string, string] | undefined;
  private readonly defaultFlags: readonly string[];
  private readonly observer: MediaObserver | undefined;

  private constructor(
    private readonly ng: NgClient,
    opts: MediaAnchorOptions,
  ) {
    this.instances = opts.instances.map((i) => ({
      name: i.name ?? `${i.host}:${i.port}`,
      endpoint: { host: i.host, port: i.port },
      downUntil: 0,
      calls: 0,
      commands: 0,
      errors: 0,
      timeouts: 0,
    }));
    this.cooldownMs = opts.instanceCooldownMs ?? 5000;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retransmitAfterMs = opts.retransmitAfterMs ?? Math.floor(this.timeoutMs / 2);
    this.replace = opts.defaults?.replace ?? ['origin', 'session-connection'];
    this.ice = opts.defaults?.ice ?? 'remove';
    this.direction = opts.defaults?.direction;
    this.defaultFlags = opts.defaults?.flags ?? [];
    this.observer = opts.observer ? safeObserver(opts.observer) : undefined;
  }

  static async create(opts: MediaAnchorOptions): Promise<MediaAnchor> {
    if (opts.instances.length === 0) throw new Error('MediaAnchor needs at least one rtpengine instance');
    const ng = await NgClient.create({
      localAddress: opts.localAddress ?? '127.0.0.1',
      timeoutMs: opts.timeoutMs ?? 1000,
      ...(opts.retransmitAfterMs !== undefined ? { retransmitAfterMs: opts.retransmitAfterMs } : {}),
    });
    return new MediaAnchor(ng, opts);
  }

  /** Calls currently mapped to an instance; returns to 0 when every call was deleted. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** Instance name a call is on, if known. */
  instanceOf(callId: string): string | undefined {
    return this.calls.get(callId)?.instance.name;
  }

  stats(): MediaStats {
    return {
      activeCalls: this.calls.size,
      commands: this.commands,
      errors: this.errors,
      timeouts: this.timeouts,
      failovers: this.failovers,
      retransmits: this.ng.stats.retransmits,
      strayReplies: this.ng.stats.strays,
      pendingRequests: this.ng.pendingCount,
      instances: this.instances.map((i) => ({
        name: i.name,
        up: i.downUntil <= Date.now(),
        calls: i.calls,
        commands: i.commands,
        errors: i.errors,
        timeouts: i.timeouts,
      })),
    };
  }

  async close(): Promise<void> {
    await this.ng.close();
  }

  /** Drop a call from the map without telling rtpengine (its own timeouts will clean up). */
  forget(callId: string): void {
    const e = this.calls.get(callId);
    if (e) this.dropEntry(callId, e);
  }

  // ---- offer / answer / delete ----

  async offer(p: OfferParams): Promise<SdpResult> {
    assertAnchorable(p.sdp, 'offer');
    const msg = this.sdpMessage('offer', p);
    if (p.toTag !== undefined) msg['to-tag'] = p.toTag;

    let entry = this.calls.get(p.callId);
    while (entry?.settling) {
      await entry.settling.catch(() => undefined);
      entry = this.calls.get(p.callId);
    }
    // No await between this lookup and offerNewCall's map insert: concurrent first offers of
    // one call (forking) all land on the same instance.
    if (!entry) return this.offerNewCall(p.callId, msg as NgMessage);
    const reply = await this.sendExisting(entry, msg as NgMessage, p.callId);
    return sdpResult(reply, entry.instance);
  }

  async answer(p: AnswerParams): Promise<SdpResult> {
    assertAnchorable(p.sdp, 'answer');
    const msg = this.sdpMessage('answer', p);
    msg['to-tag'] = p.toTag;
    const entry = await this.requireEntry(p.callId);
    const reply = await this.sendExisting(entry, msg as NgMessage, p.callId);
    return sdpResult(reply, entry.instance);
  }

  /**
   * Delete the whole call (no toTag/viaBranch) or one branch. Idempotent: an unknown call,
   * a timeout or an error never throws (they are counted and reported to the observer);
   * resolves true when rtpengine confirmed. A whole-call delete always drops the map entry.
   */
  async delete(p: DeleteParams): Promise<boolean> {
    return (await this.deleteReply(p)) !== undefined;
  }

  /**
   * Delete the whole call and return rtpengine's final statistics: the delete
   * reply carries the same counters as `query`, so this costs no extra command.
   */
  async deleteWithStats(callId: string): Promise<CallStats | undefined> {
    const instance = this.instanceOf(callId);
    const reply = await this.deleteReply({ callId });
    if (reply === undefined || instance === undefined) return undefined;
    try {
      return parseQuery(callId, instance, reply);
    } catch {
      return undefined;
    }
  }

  private async deleteReply(p: DeleteParams): Promise<BDict | undefined> {
    const entry = await this.settledEntry(p.callId);
    if (!entry) return undefined;
    const whole = p.toTag === undefined && p.viaBranch === undefined;
    if (whole) this.dropEntry(p.callId, entry);
    const msg: Record<string, BencodeValue> = { command: 'delete', 'call-id': p.callId, 'delete delay': 0 };
    if (p.fromTag !== undefined) msg['from-tag'] = p.fromTag;
    if (p.toTag !== undefined) msg['to-tag'] = p.toTag;
    if (p.viaBranch !== undefined) msg['via-branch'] = p.viaBranch;
    try {
      const reply = await this.send(entry.instance, msg as NgMessage, p.callId);
      // "Call-ID not found or tags didn't match": the call is gone on the rtpengine side.
      if (!whole && typeof reply['warning'] === 'string' && /not found/i.test(reply['warning'])) {
        this.dropEntry(p.callId, entry);
      }
      return reply;
    } catch (err) {
      if (!whole && err instanceof MediaCommandError && /unknown call/i.test(err.reason)) this.dropEntry(p.callId, entry);
      return undefined;
    }
  }


  async query(callId: string): Promise<CallStats> {
    const entry = await this.requireEntry(callId);
    const reply = await this.sendExisting(entry, { command: 'query', 'call-id': callId }, callId);
    return parseQuery(callId, entry.instance.name, reply);
  }

  // ---- media control ----

  /** Returns the media duration in ms when rtpengine reports it. */
  async playMedia(p: PlayMediaParams): Promise<{ durationMs?: number }> {
    if ((p.file === undefined) === (p.blob === undefined)) throw new Error('playMedia needs exactly one of file or blob');
    const entry = await this.requireEntry(p.callId);
    const msg: Record<string, BencodeValue> = { command: 'play media', 'call-id': p.callId, 'from-tag': p.fromTag };
    if (p.file !== undefined) msg['file'] = p.file;
    if (p.blob !== undefined) msg['blob'] = p.blob;
    if (p.repeatTimes !== undefined) msg['repeat-times'] = p.repeatTimes;
    const reply = await this.sendExisting(entry, msg as NgMessage, p.callId);
    const d = reply['duration'];
    return typeof d === 'number' ? { durationMs: d } : {};
  }

  async stopMedia(p: TagParams): Promise<void> {
    await this.tagCommand('stop media', p);
  }

  /** Drop media *from* the participant named by fromTag (whole call when omitted). */
  async blockMedia(p: TagParams): Promise<void> {
    await this.tagCommand('block media', p);
  }

  async unblockMedia(p: TagParams): Promise<void> {
    await this.tagCommand('unblock media', p);
  }

  async playDtmf(p: PlayDtmfParams): Promise<void> {
    const entry = await this.requireEntry(p.callId);
    const msg: Record<string, BencodeValue> = { command: 'play DTMF', 'call-id': p.callId, 'from-tag': p.fromTag, code: p.code };
    if (p.durationMs !== undefined) msg['duration'] = p.durationMs;
    if (p.volume !== undefined) msg['volume'] = p.volume;
    await this.sendExisting(entry, msg as NgMessage, p.callId);
  }

  /** ng ping of every instance; resolves with the names that answered. Clears cooldowns. */
  async ping(timeoutMs = this.timeoutMs): Promise<string[]> {
    const alive: string[] = [];
    await Promise.all(
      this.instances.map(async (inst) => {
        try {
          const r = await this.send(inst, { command: 'ping' }, undefined, timeoutMs);
          if (r['result'] === 'pong') alive.push(inst.name);
        } catch {
          // counted by send()
        }
      }),
    );
    return alive;
  }

  // ---- internals ----

  private sdpMessage(command: 'offer' | 'answer', p: SdpCommonParams): Record<string, BencodeValue> {
    const msg: Record<string, BencodeValue> = {
      command,
      'call-id': p.callId,
      'from-tag': p.fromTag,
      sdp: p.sdp,
      replace: p.replace ?? this.replace,
      ICE: p.ice ?? this.ice,
    };
    const flags = p.flags && p.flags.length > 0 ? [...this.defaultFlags, ...p.flags] : this.defaultFlags;
    if (flags.length > 0) msg['flags'] = flags;
    const direction = p.direction ?? this.direction;
    if (direction !== undefined) msg['direction'] = direction;
    if (p.viaBranch !== undefined) msg['via-branch'] = p.viaBranch;
    if (p.transportProtocol !== undefined) msg['transport-protocol'] = p.transportProtocol;
    if (p.extra) for (const k in p.extra) msg[k] = p.extra[k]!;
    return msg;
  }

  private async tagCommand(command: string, p: TagParams): Promise<void> {
    const entry = await this.requireEntry(p.callId);
    const msg: Record<string, BencodeValue> = { command, 'call-id': p.callId };
    if (p.fromTag !== undefined) msg['from-tag'] = p.fromTag;
    await this.sendExisting(entry, msg as NgMessage, p.callId);
  }

  /** For a call already on an instance: a timeout cannot fail over, it is MediaUnavailableError. */
  private async sendExisting(entry: CallEntry, msg: NgMessage, callId: string): Promise<BDict> {
    const inst = entry.instance;
    try {
      return await this.send(inst, msg, callId);
    } catch (err) {
      if (err instanceof NgTimeoutError) throw new MediaUnavailableError(callId, [inst.name], [`${inst.name}: timeout`]);
      throw err;
    }
  }

  /** The call's entry once any first offer in flight has settled. */
  private async settledEntry(callId: string): Promise<CallEntry | undefined> {
    let entry = this.calls.get(callId);
    while (entry?.settling) {
      await entry.settling.catch(() => undefined);
      entry = this.calls.get(callId);
    }
    return entry;
  }

  private async requireEntry(callId: string): Promise<CallEntry> {
    const entry = await this.settledEntry(callId);
    if (!entry) throw new MediaCallUnknownError(callId);
    return entry;
  }

  private dropEntry(callId: string, entry: CallEntry): void {
    if (this.calls.get(callId) === entry) {
      this.calls.delete(callId);
      entry.instance.calls--;
    }
  }

  /** Instances to try for a new call: round-robin start, instances in cooldown last. */
  private candidates(): Instance[] {
    const n = this.instances.length;
    const start = this.rr++ % n;
    if (this.rr >= Number.MAX_SAFE_INTEGER) this.rr = 0;
    const now = Date.now();
    const up: Instance[] = [];
    const down: Instance[] = [];
    for (let k = 0; k < n; k++) {
      const inst = this.instances[(start + k) % n]!;
      (inst.downUntil <= now ? up : down).push(inst);
    }
    return down.length === 0 ? up : up.concat(down);
  }

  private async offerNewCall(callId: string, msg: NgMessage): Promise<SdpResult> {
    const order = this.candidates();
    const entry: CallEntry = { instance: order[0]!, settling: undefined };
    entry.instance.calls++;
    this.calls.set(callId, entry);
    const run = async (): Promise<SdpResult> => {
      const tried: string[] = [];
      const reasons: string[] = [];
      for (const inst of order) {
        if (inst !== entry.instance) {
          entry.instance.calls--;
          entry.instance = inst;
          inst.calls++;
        }
        tried.push(inst.name);
        try {
          const reply = await this.send(inst, msg, callId);
          return sdpResult(reply, inst);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          const timedOut = err instanceof NgTimeoutError;
          const resource = err instanceof MediaCommandError && RESOURCE_ERROR.test(err.reason);
          if (!timedOut && !resource) throw err;
          reasons.push(`${inst.name}: ${timedOut ? 'timeout' : (err as MediaCommandError).reason}`);
          this.failovers++;
          this.observer?.onFailover?.({ callId, from: inst.name, reason });
          // It may have created the call after all (slow, not dead): tell it to forget it.
          if (timedOut) this.fireAndForgetDelete(inst, callId);
        }
      }
      throw new MediaUnavailableError(callId, tried, reasons);
    };
    const promise = run();
    entry.settling = promise;
    try {
      return await promise;
    } catch (err) {
      this.dropEntry(callId, entry);
      throw err;
    } finally {
      entry.settling = undefined;
    }
  }

  private fireAndForgetDelete(inst: Instance, callId: string): void {
    this.ng
      .request(inst.endpoint, { command: 'delete', 'call-id': callId, 'delete delay': 0 }, { timeoutMs: this.timeoutMs })
      .catch(() => undefined);
  }

  /** One ng command with accounting; maps errors to MediaCommandError / NgTimeoutError. */
  private async send(inst: Instance, msg: NgMessage, callId: string | undefined, timeoutMs?: number): Promise<BDict> {
    const t0 = performance.now();
    this.commands++;
    inst.commands++;
    try {
      const reply = await this.ng.request(
        inst.endpoint,
        msg,
        timeoutMs !== undefined ? { timeoutMs } : { timeoutMs: this.timeoutMs, retransmitAfterMs: this.retransmitAfterMs },
      );
      if (inst.downUntil !== 0) {
        inst.downUntil = 0;
        this.observer?.onInstanceState?.({ instance: inst.name, up: true });
      }
      const warning = reply['warning'];
      this.observer?.onCommand?.({
        instance: inst.name,
        command: msg.command,
        callId,
        outcome: 'ok',
        latencyMs: performance.now() - t0,
        ...(typeof warning === 'string' ? { reason: warning } : {}),
      });
      return reply;
    } catch (err) {
      const latencyMs = performance.now() - t0;
      if (err instanceof NgTimeoutError) {
        this.timeouts++;
        inst.timeouts++;
        const wasUp = inst.downUntil <= Date.now();
        inst.downUntil = Date.now() + this.cooldownMs;
        if (wasUp) this.observer?.onInstanceState?.({ instance: inst.name, up: false });
        this.observer?.onCommand?.({ instance: inst.name, command: msg.command, callId, outcome: 'timeout', latencyMs });
        throw err;
      }
      this.errors++;
      inst.errors++;
      const reason = err instanceof NgCommandError ? err.reason : err instanceof Error ? err.message : String(err);
      this.observer?.onCommand?.({ instance: inst.name, command: msg.command, callId, outcome: 'error', latencyMs, reason });
      throw new MediaCommandError(inst.name, msg.command, reason);
    }
  }
}

function assertAnchorable(sdp: string, command: string): void {
  // rtpengine 10.5 answers "Failed to parse SDP" to PSTN-bearer bodies; say why up front.
  if (PSTN_SDP.test(sdp)) throw new MediaCommandError('(none)', command, 'PSTN bearer SDP (c=PSTN / m=... PSTN) cannot be anchored');
}

/** A throwing observer (metrics code) must never turn a good command into a failed one. */
function safeObserver(o: MediaObserver): MediaObserver {
  const guard =
    <E>(fn: ((e: E) => void) | undefined) =>
    (e: E): void => {
      try {
        fn?.call(o, e);
      } catch {
        // ignored on purpose
      }
    };
  return {
    onCommand: guard(o.onCommand),
    onFailover: guard(o.onFailover),
    onInstanceState: guard(o.onInstanceState),
  };
}

function sdpResult(reply: BDict, inst: Instance): SdpResult {
  const sdp = reply['sdp'];
  if (typeof sdp !== 'string') throw new MediaCommandError(inst.name, 'offer/answer', 'reply without sdp');
  const warning = reply['warning'];
  return typeof warning === 'string' ? { sdp, instance: inst.name, warning } : { sdp, instance: inst.name };
}

// ---- query parsing -------------------------------------------------------------------------

function num(v: BDecoded | undefined): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : 0;
}

function optNum(v: BDecoded | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function counters(v: BDecoded | undefined): PacketCounters {
  if (!isBDict(v)) return { packets: 0, bytes: 0, errors: 0 };
  return { packets: num(v['packets']), bytes: num(v['bytes']), errors: num(v['errors']) };
}

function strList(v: BDecoded | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function parseStream(s: BDict): StreamStats {
  const c = counters(s['stats']);
  const ep = s['endpoint'];
  const flags = strList(s['flags']);
  const lastPacket = optNum(s['last packet']);
  return {
    ...c,
    localPort: num(s['local port']),
    ...(isBDict(ep) && typeof ep['address'] === 'string' ? { endpoint: { address: ep['address'], port: num(ep['port']) } } : {}),
    rtcp: flags.includes('RTCP'),
    ...(lastPacket !== undefined ? { lastPacket } : {}),
  };
}

function parseLeg(tag: string, t: BDict): LegStats {
  const medias: MediaSectionStats[] = [];
  const rtp = { packets: 0, bytes: 0, errors: 0 };
  const rtcp = { packets: 0, bytes: 0, errors: 0 };
  const rawMedias = t['medias'];
  if (Array.isArray(rawMedias)) {
    for (const m of rawMedias) {
      if (!isBDict(m)) continue;
      const streams = Array.isArray(m['streams']) ? m['streams'].filter(isBDict).map(parseStream) : [];
      for (const s of streams) {
        const acc = s.rtcp ? rtcp : rtp;
        acc.packets += s.packets;
        acc.bytes += s.bytes;
        acc.errors += s.errors;
      }
      medias.push({
        index: num(m['index']),
        type: typeof m['type'] === 'string' ? m['type'] : '',
        protocol: typeof m['protocol'] === 'string' ? m['protocol'] : '',
        flags: strList(m['flags']),
        streams,
      });
    }
  }
  const label = t['label'];
  const branch = t['via-branch'];
  return {
    tag: typeof t['tag'] === 'string' ? t['tag'] : tag,
    ...(typeof label === 'string' ? { label } : {}),
    ...(typeof branch === 'string' ? { viaBranch: branch } : {}),
    rtp,
    rtcp,
    medias,
  };
}

function parseSsrc(key: string, v: BDecoded): SsrcQuality {
  const q: { -readonly [K in keyof SsrcQuality]: SsrcQuality[K] } = { ssrc: Number(key) };
  if (!isBDict(v)) return q;
  const mos = (d: BDecoded | undefined): number | undefined => (isBDict(d) && typeof d['MOS'] === 'number' ? d['MOS'] / 10 : undefined);
  const avg = v['average MOS'];
  const a = mos(avg);
  if (a !== undefined) q.averageMos = a;
  const lo = mos(v['lowest MOS']);
  if (lo !== undefined) q.lowestMos = lo;
  const hi = mos(v['highest MOS']);
  if (hi !== undefined) q.highestMos = hi;
  if (isBDict(avg)) {
    const j = optNum(avg['jitter']);
    if (j !== undefined) q.jitter = j;
    const l = optNum(avg['packet loss']);
    if (l !== undefined) q.packetLoss = l;
    const r = optNum(avg['round-trip time']);
    if (r !== undefined) q.roundTripTime = r;
    const s = optNum(avg['samples']);
    if (s !== undefined) q.samples = s;
  }
  return q;
}

export function parseQuery(callId: string, instance: string, reply: BDict): CallStats {
  const legs: LegStats[] = [];
  const tags = reply['tags'];
  if (isBDict(tags)) for (const tag in tags) if (isBDict(tags[tag])) legs.push(parseLeg(tag, tags[tag]));
  const totals = isBDict(reply['totals']) ? reply['totals'] : undefined;
  const ssrc: SsrcQuality[] = [];
  const rawSsrc = reply['SSRC'];
  if (isBDict(rawSsrc)) for (const k in rawSsrc) ssrc.push(parseSsrc(k, rawSsrc[k]!));
  const created = optNum(reply['created']);
  const lastSignal = optNum(reply['last signal']);
  return {
    callId,
    instance,
    ...(created !== undefined ? { created } : {}),
    ...(lastSignal !== undefined ? { lastSignal } : {}),
    legs,
    totals: { rtp: counters(totals?.['RTP']), rtcp: counters(totals?.['RTCP']) },
    ssrc,
    raw: reply,
  };
}
