/**
 * A three-party conference (spec MID-08, TS-21): the far end, the consult target and the
 * user's EFA2 leg each get an offerless re-INVITE and are answered with a port of the G.711
 * mixer (src/media/mixer), so every party hears the other two. rtpengine cannot mix
 * (docs/media.md); the parties send to the mixer directly. A party that hangs up leaves;
 * with one party left the conference ends (BYE to it, mixer closed).
 *
 * It is no B2BCall, so it has the fields of the live calls view itself (src/api/live-calls.ts:
 * id, state, times, feature, one leg per party) and can be hung up from there.
 */
import type { Conference } from '../media/mixer/conference.js';
import type { Dialog } from '../sip/dialog/dialog.js';
import { createResponse } from '../sip/message/response.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import type { CallLogger } from './call.js';
import { offerlessReinvite } from './transfer.js';

/** A party of the conference as the live calls view lists it. */
export interface ConferenceLegView {
  leg: string;
  callId: string;
  from: string;
  to: string;
  state: string;
}

export class ConferenceCall {
  /** Party dialog → mixer participant id and the party's role (FAR, EFA2, target...). */
  private readonly parts = new Map<Dialog, { id: string; role: string }>();
  private over = false;
  readonly feature = 'conference';
  readonly startedAt = Date.now();
  /** Connected from the start: every party joins an answered dialog. */
  readonly connectedAt = this.startedAt;

  constructor(
    readonly mixer: Conference,
    private readonly ua: UserAgentCore,
    private readonly log: CallLogger,
    private readonly onEnd: (c: ConferenceCall) => void,
  ) {}

  get size(): number {
    return this.parts.size;
  }

  /** Live calls view id (never a SIP Call-ID: the parties' dialogs keep theirs). */
  get id(): string {
    return `conference-${this.mixer.id}`;
  }

  get state(): string {
    return this.over ? 'ended' : 'connected';
  }

  /** One leg per party: who (the party's URI) and the dialog. */
  get legs(): ConferenceLegView[] {
    return [...this.parts].map(([d, p]) => ({ leg: p.role, callId: d.callId, from: stripTag(d.remoteUri.toString()), to: stripTag(d.localUri.toString()), state: d.state }));
  }

  /** From the live calls view (DELETE /api/v1/calls/:id): everyone gets a BYE. */
  hangup(_by: 'a' | 'b' | 'server', why: string): void {
    this.log.info({ conference: this.mixer.id, why }, 'conference released');
    void this.end();
  }

  /**
   * Bring a confirmed dialog into the mix; false when it could not (the dialog is left as it
   * was). `role` names the party in the live calls view.
   */
  async join(d: Dialog, role = 'party'): Promise<boolean> {
    if (this.over) return false;
    const o = await offerlessReinvite(this.ua, d);
    if (o === undefined) return false;
    let added: Awaited<ReturnType<Conference['addParticipant']>>;
    try {
      added = await this.mixer.addParticipant(o.offer);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'conference: the offer cannot be mixed');
      o.ack(undefined);
      return false;
    }
    o.ack(added.localSdp);
    this.parts.set(d, { id: added.id, role });
    d.owner = this;
    d.onRequest = (req, tx) => {
      if (req.method === 'INVITE' && d.reinvite !== undefined) {
        const inv = d.reinvite;
        d.reinvite = undefined;
        if (req.body.length === 0) inv.reject(488);
        else inv.accept({ body: this.mixer.updateParticipant(added.id, req.bodyText), contentType: 'application/sdp' });
        return;
      }
      tx.respond(createResponse(req, 200));
    };
    d.onTerminated = () => void this.leave(d);
    return true;
  }

  private async leave(d: Dialog): Promise<void> {
    const id = this.parts.get(d)?.id;
    if (id === undefined) return;
    this.parts.delete(d);
    await this.mixer.removeParticipant(id).catch(() => undefined);
    if (this.parts.size <= 1) await this.end();
  }

  /** BYE everyone left and close the mixer. */
  async end(): Promise<void> {
    if (this.over) return;
    this.over = true;
    for (const d of this.parts.keys()) {
      d.onTerminated = undefined;
      if (d.state === 'confirmed') void this.ua.bye(d);
    }
    this.parts.clear();
    await this.mixer.close().catch(() => undefined);
    this.log.info({ conference: this.mixer.id }, 'conference ended');
    this.onEnd(this);
  }
}

function stripTag(v: string): string {
  return v.replace(/;\s*tag=[^;>]*/gi, '').trim();
}
