/**
 * A back-to-back call: one A-leg (the INVITE we received) and one or more
 * B-legs (forks we place), media anchored through rtpengine when enabled.
 * Each leg has its own Call-ID, tags and CSeq space; nothing crosses between
 * legs except what the call copies on purpose (SDP, INFO bodies, allow-listed
 * headers the router put on the target).
 */
import type { Dialog } from '../sip/dialog/dialog.js';
import type { SipRequest, SipResponse } from '../sip/message/message.js';
import { createResponse } from '../sip/message/response.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { Destination } from '../sip/transport/types.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import type { OutgoingInvite } from '../sip/ua/outgoing-invite.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import { bestFinalStatus, statusForCaller } from './best-response.js';
import type { CallMedia } from './call-media.js';

export interface CallLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CallTarget {
  /** Request-URI of the B-leg INVITE. */
  uri: string;
  destination: Destination;
  /** From / To header values (name-addr, without tags). */
  from: string;
  to: string;
  /** Extra headers for this leg only (e.g. P-Asserted-Identity by trust rule). */
  headers?: Record<string, string | string[]>;
  /** CANCEL this branch if it has not answered after this long. */
  ringTimeoutMs?: number;
  /** Start this branch after this delay (a fork that rings later). */
  delayMs?: number;
  /** For logs and metrics: 'line', 'trunk', 'rd'... */
  label?: string;
}

export type CallState = 'routing' | 'early' | 'connected' | 'ended';

export interface CallEnd {
  /** 'answered' for calls that connected, otherwise the failure class. */
  result: 'answered' | 'cancelled' | 'failed' | 'no-answer' | 'busy' | 'media-failed' | 'error';
  status?: number;
  by?: 'a' | 'b' | 'server';
}

export interface CallOptions {
  ua: UserAgentCore;
  /** Media anchoring for this call; undefined = signalling only (SDP passed through). */
  media: CallMedia | undefined;
  log: CallLogger;
  onEnd?(call: B2BCall, end: CallEnd): void;
  onConnected?(call: B2BCall): void;
}

/** Statuses after which the next target group (another gateway) is tried. */
const FAILOVER = new Set([408, 500, 502, 503, 504]);

interface BranchState {
  target: CallTarget;
  invite: OutgoingInvite | undefined;
  timer: NodeJS.Timeout | undefined;
  status: number | undefined;
  /** Cancelled by its ring timer: counts as no answer (480), not as 487. */
  noAnswer?: boolean;
}

export class B2BCall {
  readonly id: string;
  state: CallState = 'routing';
  readonly startedAt = Date.now();
  connectedAt: number | undefined;
  aDialog: Dialog | undefined;
  bDialog: Dialog | undefined;
  private branches: BranchState[] = [];
  private groups: CallTarget[][] = [];
  private statuses: number[] = [];
  private aOfferless: boolean;
  private ended = false;

  constructor(
    readonly a: IncomingInvite,
    private readonly opts: CallOptions,
  ) {
    this.id = a.request.callId;
    this.aOfferless = a.request.body.length === 0;
    a.onCancel = () => this.onCallerCancel();
    a.onAckTimeout = () => this.hangup('server', 'no ACK for 2xx');
  }

  get log(): CallLogger {
    return this.opts.log;
  }

  /** Route the call: each group is a set of parallel forks; the next group is tried on failover statuses. */
  async start(groups: CallTarget[][]): Promise<void> {
    this.groups = groups.filter((g) => g.length > 0);
    if (this.groups.length === 0) return this.fail(404);
    if (this.opts.media !== undefined && !this.aOfferless) {
      try {
        this.bOffer = await this.opts.media.offerFromCaller(this.a.request);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'media offer failed');
        return this.fail(503, 'Service Unavailable - media anchor unavailable', 'media-failed');
      }
      if (this.ended) return;
    } else this.bOffer = this.aOfferless ? undefined : this.a.request.bodyText;
    this.nextGroup();
  }

  private bOffer: string | undefined;

  private nextGroup(): void {
    const group = this.groups.shift();
    if (group === undefined) {
      const best = bestFinalStatus(this.statuses) ?? 480;
      this.fail(statusForCaller(best));
      return;
    }
    this.branches = group.map((target) => ({ target, invite: undefined, timer: undefined, status: undefined }));
    for (const b of this.branches) {
      if (b.target.delayMs !== undefined && b.target.delayMs > 0) {
        b.timer = setTimeout(() => this.launch(b), b.target.delayMs);
      } else this.launch(b);
    }
  }

  private launch(branch: BranchState): void {
    branch.timer = undefined;
    if (this.ended || this.state === 'connected') return;
    const t = branch.target;
    const ua = this.opts.ua;
    const headers: Record<string, string | string[]> = { supported: 'replaces, timer', ...(t.headers ?? {}) };
    const req = ua.createRequest({
      method: 'INVITE',
      uri: t.uri,
      from: t.from,
      to: t.to,
      options: this.bOffer === undefined ? { headers } : { headers, body: this.bOffer, contentType: 'application/sdp' },
    });
    branch.invite = ua.invite(req, t.destination, {
      onProvisional: (res, dialog) => this.onBranchProvisional(branch, res, dialog),
      onAnswer: (res, dialog) => this.onBranchAnswer(branch, res, dialog),
      onFailure: (res) => this.onBranchFailure(branch, res),
    });
    if (this.aOfferless) branch.invite.autoAck = false;
    if (t.ringTimeoutMs !== undefined && t.ringTimeoutMs > 0) {
      branch.timer = setTimeout(() => {
        branch.timer = undefined;
        if (branch.status === undefined) {
          branch.noAnswer = true;
          branch.invite?.cancel();
        }
      }, t.ringTimeoutMs);
    }
  }

  // ------------------------------------------------------------ B-leg events
  private onBranchProvisional(branch: BranchState, res: SipResponse, _dialog: Dialog | undefined): void {
    if (this.ended || this.a.finalStatus !== undefined) return;
    this.state = 'early';
    void this.relayProvisional(branch, res).catch((e: Error) => this.log.warn({ err: e.message }, 'relaying provisional failed'));
  }

  private async relayProvisional(_branch: BranchState, res: SipResponse): Promise<void> {
    const status = res.status === 181 || res.status === 182 ? 180 : res.status;
    let body: string | undefined;
    if (res.body.length > 0 && res.contentType?.startsWith('application/sdp') === true && !this.aOfferless) {
      body = this.opts.media !== undefined ? await this.opts.media.answerFromCallee(this.a.request, res) : res.bodyText;
    }
    if (this.ended || this.a.finalStatus !== undefined) return;
    this.a.progress(status, body === undefined ? {} : { body, contentType: 'application/sdp' });
  }

  private onBranchAnswer(branch: BranchState, res: SipResponse, dialog: Dialog): void {
    branch.status = res.status;
    this.clearBranchTimer(branch);
    if (this.ended || this.bDialog !== undefined) {
      void this.opts.ua.bye(dialog);
      return;
    }
    this.bDialog = dialog;
    this.bindDialog(dialog, 'b');
    // The first answer wins; the others are cancelled with RFC 3326 "completed elsewhere".
    for (const other of this.branches) {
      if (other !== branch && other.status === undefined) {
        this.clearBranchTimer(other);
        other.status = 487;
        other.invite?.cancel('SIP;cause=200;text="Call completed elsewhere"');
      }
    }
    void this.connect(branch, res).catch((e: Error) => {
      this.log.error({ err: e.message }, 'connecting the caller failed');
      this.hangup('server', 'connect failed');
    });
  }

  private async connect(branch: BranchState, res: SipResponse): Promise<void> {
    let body: string | undefined;
    const sdp = res.body.length > 0 ? res.bodyText : undefined;
    if (sdp !== undefined) {
      if (this.opts.media === undefined) body = sdp;
      else if (this.aOfferless) body = await this.opts.media.offerFromCallee(this.a.request, res);
      else body = await this.opts.media.answerFromCallee(this.a.request, res);
    }
    if (this.ended) return;
    if (this.a.finalStatus !== undefined) {
      // The caller went away (CANCEL raced the answer): release the callee.
      this.hangup('server', 'caller gone before answer');
      return;
    }
    this.aDialog = this.a.accept(body === undefined ? {} : { body, contentType: 'application/sdp' });
    this.bindDialog(this.aDialog, 'a');
    this.state = 'connected';
    this.connectedAt = Date.now();
    if (this.aOfferless) {
      this.a.onAck = (ack) => void this.ackLateOffer(branch, ack);
    }
    this.opts.onConnected?.(this);
  }

  /** Late offer: the caller's ACK carries the answer, which the callee gets in its ACK. */
  private async ackLateOffer(branch: BranchState, ack: SipRequest): Promise<void> {
    if (this.bDialog === undefined || branch.invite === undefined) return;
    let body: string | undefined;
    if (ack.body.length > 0) {
      body = this.opts.media !== undefined ? await this.opts.media.answerFromCaller(this.a.request, this.bDialog, ack) : ack.bodyText;
    }
    branch.invite.ack(this.bDialog, body === undefined ? {} : { body, contentType: 'application/sdp' });
  }

  private onBranchFailure(branch: BranchState, res: SipResponse): void {
    this.clearBranchTimer(branch);
    const status = branch.noAnswer === true ? 480 : res.status;
    if (branch.status === undefined) branch.status = status;
    if (status !== 487 || branch.noAnswer === true) this.statuses.push(status);
    this.log.debug({ status, label: branch.target.label, uri: branch.target.uri }, 'branch failed');
    if (this.ended || this.bDialog !== undefined) return;
    if (this.branches.some((b) => b.status === undefined)) return; // others still ringing
    if (this.a.cancelled) return; // caller CANCEL is being answered
    const retry = this.statuses.length > 0 && this.statuses.every((s) => FAILOVER.has(s));
    if (retry && this.groups.length > 0) {
      this.log.info({ statuses: this.statuses }, 'failover to the next route');
      this.nextGroup();
      return;
    }
    this.groups = [];
    this.nextGroup();
  }

  // ------------------------------------------------------------ A-leg events
  private onCallerCancel(): void {
    if (this.ended) return;
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      if (b.status === undefined) {
        b.status = 487;
        b.invite?.cancel();
      }
    }
    this.a.reject(487);
    void this.finish({ result: 'cancelled', status: 487, by: 'a' });
  }

  // --------------------------------------------------------- in-dialog relay
  private bindDialog(dialog: Dialog, side: 'a' | 'b'): void {
    dialog.owner = this;
    dialog.onRequest = (req, tx) => this.onInDialogRequest(side, req, tx);
    dialog.onTerminated = () => {
      if (this.ended) return;
      // The peer's BYE (already answered 200 by the UA core) ends the other side too.
      this.hangup(side, 'BYE');
    };
  }

  private other(side: 'a' | 'b'): Dialog | undefined {
    return side === 'a' ? this.bDialog : this.aDialog;
  }

  private onInDialogRequest(side: 'a' | 'b', req: SipRequest, tx: ServerTransaction): void {
    const peer = this.other(side);
    if (peer === undefined || this.ended) {
      tx.respond(createResponse(req, 481));
      return;
    }
    switch (req.method) {
      case 'INVITE':
        void this.relayReinvite(side, req, peer).catch((e: Error) => this.log.warn({ err: e.message }, 're-INVITE relay failed'));
        return;
      case 'UPDATE':
      case 'INFO':
        void this.relayRequest(side, req, tx, peer).catch((e: Error) => this.log.warn({ err: e.message }, `${req.method} relay failed`));
        return;
      case 'OPTIONS':
        tx.respond(createResponse(req, 200));
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }

  /** re-INVITE (hold/resume, media change) from one side: re-offer through the anchor, relay, answer back. */
  private async relayReinvite(side: 'a' | 'b', req: SipRequest, peer: Dialog): Promise<void> {
    const mine = side === 'a' ? this.aDialog! : this.bDialog!;
    const incoming = mine.reinvite;
    mine.reinvite = undefined;
    if (incoming === undefined) return;
    let offer: string | undefined;
    if (req.body.length > 0) {
      offer = this.opts.media !== undefined ? await this.opts.media.reoffer(this.a.request, mine, peer, req.bodyText) : req.bodyText;
    }
    const out = this.opts.ua.reinvite(peer, offer === undefined ? {} : { body: offer, contentType: 'application/sdp' }, {
      onAnswer: (res) => {
        void (async () => {
          let answer: string | undefined;
          if (res.body.length > 0) {
            answer =
              this.opts.media === undefined
                ? res.bodyText
                : offer === undefined
                  ? await this.opts.media.reoffer(this.a.request, peer, mine, res.bodyText)
                  : await this.opts.media.reanswer(this.a.request, mine, peer, res.bodyText);
          }
          incoming.accept(answer === undefined ? {} : { body: answer, contentType: 'application/sdp' });
        })().catch((e: Error) => {
          this.log.warn({ err: e.message }, 're-INVITE answer failed');
          incoming.reject(500);
        });
      },
      onFailure: (res) => incoming.reject(res.status === 491 ? 491 : res.status >= 500 ? 500 : res.status),
    });
    if (out === undefined) incoming.reject(491);
  }

  private async relayRequest(side: 'a' | 'b', req: SipRequest, tx: ServerTransaction, peer: Dialog): Promise<void> {
    const mine = side === 'a' ? this.aDialog! : this.bDialog!;
    let body: string | Buffer | undefined = req.body.length > 0 ? req.body : undefined;
    const isSdp = req.contentType?.startsWith('application/sdp') === true;
    if (body !== undefined && isSdp && this.opts.media !== undefined) {
      body = await this.opts.media.reoffer(this.a.request, mine, peer, req.bodyText);
    }
    const options = body === undefined ? {} : { body, contentType: req.contentType ?? 'application/octet-stream' };
    const res = await this.opts.ua.dialogRequest(peer, req.method, options);
    const out = createResponse(req, res.status, res.reason);
    if (res.body.length > 0) {
      let rbody: string | Buffer = res.body;
      if (res.contentType?.startsWith('application/sdp') === true && this.opts.media !== undefined) {
        rbody = await this.opts.media.reanswer(this.a.request, mine, peer, res.bodyText);
      }
      out.setBody(rbody, res.contentType ?? 'application/octet-stream');
    }
    tx.respond(out);
  }

  // ---------------------------------------------------------------- ending
  /** Release the call from `by`'s side (or the server): BYE whatever is still up. */
  hangup(by: 'a' | 'b' | 'server', why: string): void {
    if (this.ended) return;
    this.log.debug({ by, why }, 'hangup');
    const wasConnected = this.state === 'connected';
    if (by !== 'a' && this.aDialog !== undefined && this.aDialog.state !== 'terminated') void this.opts.ua.bye(this.aDialog);
    if (by !== 'b' && this.bDialog !== undefined && this.bDialog.state !== 'terminated') void this.opts.ua.bye(this.bDialog);
    if (this.a.finalStatus === undefined) this.a.reject(by === 'server' ? 500 : 487);
    this.a.stopRetransmit();
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      if (b.status === undefined) b.invite?.cancel();
    }
    void this.finish({ result: wasConnected ? 'answered' : 'error', by });
  }

  private fail(status: number, reason?: string, result?: CallEnd['result']): void {
    if (this.ended) return;
    if (this.a.finalStatus === undefined) this.a.reject(status, reason === undefined ? {} : { reason });
    const r: CallEnd['result'] =
      result ?? (status === 486 || status === 600 ? 'busy' : status === 480 || status === 408 ? 'no-answer' : 'failed');
    void this.finish({ result: r, status, by: 'b' });
  }

  private async finish(end: CallEnd): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.state = 'ended';
    for (const b of this.branches) this.clearBranchTimer(b);
    this.opts.onEnd?.(this, end);
    if (this.opts.media !== undefined) {
      try {
        await this.opts.media.release(this.a.request);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'media delete failed');
      }
    }
  }

  private clearBranchTimer(b: BranchState): void {
    if (b.timer !== undefined) clearTimeout(b.timer);
    b.timer = undefined;
  }
}
