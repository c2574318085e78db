/**
 * The dialog event package (RFC 4235 over RFC 6665) for shared lines: desk devices subscribe
 * to their line (spec §1.1: "Subscribes to dialog state for its line") and other features
 * publish the line's dialogs to them. Desk pickup (DPU-01 step 2) publishes the held dialog
 * that can be resumed with Replaces; DPU-03 step 3 clears it.
 *
 * Who may subscribe: a device that authenticates with digest (like REGISTER), is registered,
 * and owns the line named by the Request-URI (its DN or DID), or names its own AOR (then its
 * first line). Others get 403; an Event other than `dialog` is left to the server (489).
 *
 * State is per line DN (EnterpriseLine.number): `publish` adds or replaces dialogs by id,
 * `clear` removes one; every subscription of the line gets a full-state NOTIFY (version +1).
 * A cleared dialog appears once more as `terminated` in the next NOTIFY, so subscribers see
 * the transition, then disappears.
 */
import type { Device, EnterpriseLine } from '../../directory/types.js';
import {
  DIALOG_EVENT,
  DIALOG_INFO_CONTENT_TYPE,
  type DialogInfo,
  HELD_PARAM,
  buildDialogInfo,
} from '../../sip/extensions/dialog-info.js';
import {
  NotifierSubscription,
  type SubscriptionSettings,
  readEvent,
  subscribeExpires,
} from '../../sip/extensions/subscription.js';
import type { SipRequest } from '../../sip/message/message.js';
import { createResponse } from '../../sip/message/response.js';
import { SipUri, unescapeUriPart, uriUserDigits } from '../../sip/message/uri.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Flow } from '../../sip/transport/types.js';
import type { Feature, FeatureContext } from '../feature.js';

/** RFC 4235 §3.9: default subscription duration 3600 s. */
export const DEFAULT_DIALOG_SUBSCRIPTION: SubscriptionSettings = { minExpiresS: 60, maxExpiresS: 7200, defaultExpiresS: 3600 };

export interface DialogEventOptions {
  settings?: Partial<SubscriptionSettings>;
  /** At most this many subscriptions per line (a misbehaving phone must not grow the state). Default 50. */
  maxPerLine?: number;
}

/** What other features use (desk pickup, shared-line state). */
export interface DialogEventApi {
  /** Add or replace (by id) dialogs on the line and NOTIFY every subscriber. */
  publish(lineDn: string, dialogs: DialogInfo[]): void;
  /** Remove a dialog from the line; subscribers see it `terminated` (with `event`, e.g. 'replaced') once. */
  clear(lineDn: string, id: string, event?: string): void;
  /** The dialogs currently published on the line. */
  dialogs(lineDn: string): DialogInfo[];
  /** Active subscriptions to the line. */
  subscriberCount(lineDn: string): number;
  /**
   * DPU-03: the published dialog an INVITE's Replaces names (RFC 3891, our view: to-tag is the
   * dialog's local-tag, from-tag its remote-tag), with its line; undefined → answer 481.
   */
  findOffer(replaces: { callId: string; toTag: string; fromTag: string }): { lineDn: string; dialog: DialogInfo } | undefined;
}

export interface HeldDialogOffer {
  /** Dialog id in the document (e.g. the anchored call id). */
  id: string;
  /** The dialog a desk INVITE with Replaces must name: Call-ID, our tag (to-tag), the peer's tag (from-tag). */
  callId: string;
  localTag: string;
  remoteTag: string;
  /** The line's AOR (`sip:5001@example.com`), used as local identity and target. */
  lineUri: string;
  /** The far party (remote identity), e.g. `sip:+19725553456@example.com`. */
  farUri?: string;
  farDisplay?: string;
  /** The far party called the user ('recipient', default) or the user called out ('initiator'). */
  direction?: 'initiator' | 'recipient';
}

/** DPU-01: a confirmed dialog held on our side (`+sip.rendering="no"`) that can be resumed with Replaces. */
export function heldDialog(o: HeldDialogOffer): DialogInfo {
  return {
    id: o.id,
    callId: o.callId,
    localTag: o.localTag,
    remoteTag: o.remoteTag,
    direction: o.direction ?? 'recipient',
    state: 'confirmed',
    local: { identity: o.lineUri, target: o.lineUri, targetParams: [HELD_PARAM] },
    ...(o.farUri !== undefined ? { remote: { identity: o.farUri, ...(o.farDisplay !== undefined ? { display: o.farDisplay } : {}), target: o.farUri } } : {}),
  };
}

interface LineSubscription {
  sub: NotifierSubscription;
  line: string;
  entity: string;
  deviceId: string;
  /** Dialogs cleared since this subscription's last NOTIFY: reported once as terminated. */
  cleared: Map<string, DialogInfo>;
}

export class DialogEventFeature implements Feature, DialogEventApi {
  readonly name = 'dialog-event';
  private ctx: FeatureContext | undefined;
  private readonly settings: SubscriptionSettings;
  private readonly maxPerLine: number;
  private readonly state = new Map<string, Map<string, DialogInfo>>();
  private readonly subs = new Map<string, Set<LineSubscription>>();

  constructor(options: DialogEventOptions = {}) {
    this.settings = { ...DEFAULT_DIALOG_SUBSCRIPTION, ...(options.settings ?? {}) };
    this.maxPerLine = options.maxPerLine ?? 50;
  }

  start(ctx: FeatureContext): void {
    this.ctx = ctx;
  }

  close(): void {
    for (const set of this.subs.values()) for (const s of [...set]) s.sub.terminate('deactivated');
  }

  /** Sizes of the feature's maps (return to 0 when idle and nobody subscribes). */
  sizes(): { lines: number; subscriptions: number } {
    let n = 0;
    for (const s of this.subs.values()) n += s.size;
    return { lines: this.state.size, subscriptions: n };
  }

  // ------------------------------------------------------------------ API
  publish(lineDn: string, dialogs: DialogInfo[]): void {
    if (dialogs.length === 0) return;
    let m = this.state.get(lineDn);
    if (m === undefined) this.state.set(lineDn, (m = new Map()));
    for (const d of dialogs) {
      m.set(d.id, structuredClone(d));
      for (const s of this.subs.get(lineDn) ?? []) s.cleared.delete(d.id);
    }
    this.notifyLine(lineDn);
  }

  clear(lineDn: string, id: string, event?: string): void {
    const m = this.state.get(lineDn);
    const d = m?.get(id);
    if (m === undefined || d === undefined) return;
    m.delete(id);
    if (m.size === 0) this.state.delete(lineDn);
    const gone: DialogInfo = { ...structuredClone(d), state: 'terminated', ...(event !== undefined ? { stateEvent: event } : {}) };
    for (const s of this.subs.get(lineDn) ?? []) s.cleared.set(id, gone);
    this.notifyLine(lineDn);
  }

  dialogs(lineDn: string): DialogInfo[] {
    return [...(this.state.get(lineDn)?.values() ?? [])].map((d) => structuredClone(d));
  }

  findOffer(r: { callId: string; toTag: string; fromTag: string }): { lineDn: string; dialog: DialogInfo } | undefined {
    for (const [lineDn, m] of this.state) {
      for (const d of m.values()) {
        if (d.state !== 'terminated' && d.callId === r.callId && d.localTag === r.toTag && d.remoteTag === r.fromTag) return { lineDn, dialog: structuredClone(d) };
      }
    }
    return undefined;
  }

  subscriberCount(lineDn: string): number {
    let n = 0;
    for (const s of this.subs.get(lineDn) ?? []) if (s.sub.state === 'active') n++;
    return n;
  }

  /** NOTIFYs sent to the line's subscribers so far, and whether all of them have been answered. */
  notifyProgress(lineDn: string): { sent: number; settled: boolean } {
    let sent = 0;
    let settled = true;
    for (const s of this.subs.get(lineDn) ?? []) {
      sent += s.sub.notifies;
      if (!s.sub.idle) settled = false;
    }
    return { sent, settled };
  }

  // ------------------------------------------------------------ SUBSCRIBE
  onRequest(req: SipRequest, tx: ServerTransaction, flow: Flow, ctx: FeatureContext): boolean {
    if (req.method !== 'SUBSCRIBE') return false;
    const ev = readEvent(req);
    if (ev === undefined) {
      if (!req.has('event')) return false; // RFC 6665 §8.2.1: no Event → the server's 489
      tx.respond(createResponse(req, 400, 'Bad Request - invalid Event'));
      return true;
    }
    if (ev.event !== DIALOG_EVENT) return false;
    // RFC 6665 §4.1.2 / RFC 4235 §3.5: we only write application/dialog-info+xml.
    const accept = req.getAll('accept').flatMap((a) => a.split(',')).map((a) => a.split(';')[0]!.trim().toLowerCase()).filter((a) => a !== '');
    if (accept.length > 0 && !accept.some((a) => a === DIALOG_INFO_CONTENT_TYPE || a === 'application/*' || a === '*/*')) {
      const res = createResponse(req, 406);
      res.set('accept', DIALOG_INFO_CONTENT_TYPE);
      tx.respond(res);
      return true;
    }
    if (ctx.authenticate === undefined || ctx.contact === undefined) {
      tx.respond(createResponse(req, 500, 'Server Internal Error - no authentication for SUBSCRIBE'));
      return true;
    }
    const username = ctx.authenticate(req, tx, flow);
    if (username === undefined) return true; // challenged or refused
    const device = ctx.directory.findDeviceBySipUsername(username);
    if (device === undefined) {
      tx.respond(createResponse(req, 403, 'Forbidden - no device for these credentials'));
      return true;
    }
    const line = this.lineFor(device, req, ctx);
    if (line === undefined) {
      tx.respond(createResponse(req, 403, 'Forbidden - not a line of this device'));
      return true;
    }
    const aorUser = device.aor === null ? undefined : /^sips?:([^@]+)@/i.exec(device.aor)?.[1];
    if (aorUser === undefined || ctx.registrar.lookup(aorUser).length === 0) {
      tx.respond(createResponse(req, 403, 'Forbidden - device not registered'));
      return true;
    }
    const check = subscribeExpires(req, this.settings);
    if (!check.ok) {
      const res = createResponse(req, check.status, check.reason);
      if (check.minExpires !== undefined) res.set('min-expires', String(check.minExpires));
      tx.respond(res);
      return true;
    }
    let set = this.subs.get(line.number);
    if (check.expires > 0 && set !== undefined && set.size >= this.maxPerLine) {
      const res = createResponse(req, 503, 'Service Unavailable - too many subscriptions to this line');
      res.set('retry-after', '60');
      tx.respond(res);
      return true;
    }
    const entity = `sip:${line.number}@${ctx.config.domain}`;
    if (set === undefined) this.subs.set(line.number, (set = new Set()));
    const lineSubs = set;
    const ls: LineSubscription = { sub: undefined as unknown as NotifierSubscription, line: line.number, entity, deviceId: device.id, cleared: new Map() };
    lineSubs.add(ls);
    ls.sub = NotifierSubscription.accept(req, tx, flow, ev, check.expires, {
      host: ctx.ua,
      settings: this.settings,
      localContact: ctx.contact(flow.protocol),
      content: (sub) => this.body(ls, sub.notifies),
      onTerminated: (_sub, why) => {
        lineSubs.delete(ls);
        if (lineSubs.size === 0 && this.subs.get(ls.line) === lineSubs) this.subs.delete(ls.line);
        ctx.log.debug({ line: ls.line, device: ls.deviceId, why }, 'dialog subscription ended');
      },
    });
    ctx.log.info({ line: line.number, device: device.id, expires: check.expires }, 'dialog subscription');
    return true;
  }

  // ---------------------------------------------------------------- internals
  private notifyLine(lineDn: string): void {
    for (const s of this.subs.get(lineDn) ?? []) s.sub.notify();
  }

  /** The full-state document for one subscription (its own version counter). */
  private body(ls: LineSubscription, version: number): { body: string; contentType: string } {
    const dialogs = [...(this.state.get(ls.line)?.values() ?? []), ...ls.cleared.values()];
    ls.cleared.clear();
    return { body: buildDialogInfo({ version, state: 'full', entity: ls.entity, dialogs }), contentType: DIALOG_INFO_CONTENT_TYPE };
  }

  /** The line the Request-URI names, if the device has it (DN, DID, or the device's own AOR → first line). */
  private lineFor(device: Device, req: SipRequest, ctx: FeatureContext): EnterpriseLine | undefined {
    const uri = req.uri;
    let user: string | undefined;
    try {
      user = uri instanceof SipUri && uri.user !== undefined ? unescapeUriPart(uri.user) : uriUserDigits(uri);
    } catch {
      return undefined;
    }
    if (user === undefined || user === '') return undefined;
    const lines = device.lines.map((id) => ctx.directory.lines.get(id) ?? undefined).filter((l): l is EnterpriseLine => l !== undefined);
    const digits = user.replace(/[^0-9+]/g, '');
    const match = lines.find((l) => l.number === user || l.number === digits || (l.did !== null && (l.did === digits || l.did === `+${digits}`)));
    if (match !== undefined) return match;
    const aorUser = device.aor === null ? undefined : /^sips?:([^@]+)@/i.exec(device.aor)?.[1];
    return aorUser !== undefined && aorUser === user ? lines[0] : undefined;
  }
}
