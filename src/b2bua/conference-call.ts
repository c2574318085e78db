/**
 * A three-party conference (spec MID-08, TS-21): the far end, the consult target and the
 * user's EFA2 leg each get an offerless re-INVITE and are answered with a port of the G.711
 * mixer (src/media/mixer), so every party hears the other two. rtpengine cannot mix
 * (docs/media.md); the parties send to the mixer directly. A party that hangs up leaves;
 * with one party left the conference ends (BYE to it, mixer closed).
 */
import type { Conference } from '../media/mixer/conference.js';
import type { Dialog } from '../sip/dialog/dialog.js';
import { createResponse } from '../sip/message/response.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import type { CallLogger } from './call.js';
import { offerlessReinvite } from './transfer.js';

export class ConferenceCall {
  private readonly parts = new Map<Dialog, string>();
  private over = false;

  constructor(
    readonly mixer: Conference,
    private readonly ua: UserAgentCore,
    private readonly log: CallLogger,
    private readonly onEnd: (c: ConferenceCall) => void,
  ) {}

  get size(): number {
    return this.parts.size;
  }

  /** Bring a confirmed dialog into the mix; false when it could not (the dialog is left as it was). */
  async join(d: Dialog): Promise<boolean> {
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
    this.parts.set(d, added.id);
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
    const id = this.parts.get(d);
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
