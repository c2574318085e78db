/**
 * The plug-in contract between the server and a mobility feature (DVO, SNR,
 * Session Resumption, mid-call, MVA...). A feature sees new calls after the
 * caller is identified and the admission checks passed, and can take them
 * over, handle dial-plan feature numbers, or add forks to calls for a line.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdoptedLegs, B2BCall, CallTarget } from '../b2bua/call.js';
import type { CallMedia } from '../b2bua/call-media.js';
import type { Config } from '../config/index.js';
import type { Directory } from '../directory/directory.js';
import type { EnterpriseLine } from '../directory/types.js';
import type { RtpengineDtmfEvents } from '../media/dtmf-events.js';
import type { MediaAnchor } from '../media/media-anchor.js';
import type { MediaServices } from '../media/media-services.js';
import type { DtmfLegs } from '../media/dtmf-leg.js';
import type { Registrar } from '../registrar/registrar.js';
import type { Caller, Router } from '../routing/router.js';
import type { SipRequest } from '../sip/message/message.js';
import type { ServerTransaction } from '../sip/transaction/types.js';
import type { Flow, TransportProtocol } from '../sip/transport/types.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import type { ReferTo } from '../sip/extensions/refer.js';
import type { ReferDecision } from '../b2bua/transfer.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import type { StateStores } from '../state/types.js';
import type { AnchoredCalls } from './anchored/registry.js';
import type { DialogEventApi } from './dialog-event/dialog-event-feature.js';
import type { MidCallApi } from './mid-call/mid-call-feature.js';

export interface StartCallOptions {
  /** Called once the call is connected (both legs up). */
  onConnected?(call: B2BCall): void;
  /** Called when the call ends, whatever the reason. */
  onEnd?(call: B2BCall): void;
}

export interface FeatureContext {
  config: Config;
  directory: Directory;
  registrar: Registrar;
  router: Router;
  ua: UserAgentCore;
  /** rtpengine control (play media, query, DTMF...). */
  anchor: MediaAnchor;
  /** Offer/answer per call through the anchor; undefined when media anchoring is off. */
  callMedia: CallMedia | undefined;
  /**
   * RFC 4733 digits reported by rtpengine (config media.dtmfEvents); absent when the server
   * does not listen. Wrap it in a DtmfLegs (src/media/dtmf-leg.ts) to merge SIP INFO (DTMF-05).
   */
  dtmf?: RtpengineDtmfEvents;
  /**
   * Digits per call leg from SIP INFO (feedInfo) and RFC 4733 (ctx.dtmf), one per key press
   * (DTMF-05). One instance per server, so all features share each leg's method lock.
   */
  dtmfLegs?: DtmfLegs;
  /** MoH (holdWithMoh/stopMoh), tones and prompts on anchored calls; absent when anchoring is off. */
  mediaServices?: MediaServices;
  state: StateStores;
  log: Logger;
  /** Register the feature's own Prometheus metrics here. */
  metrics: Registry;
  /** Run an ordinary B2B call for `inv` towards the target groups, with the server's bookkeeping. */
  startCall(inv: IncomingInvite, groups: CallTarget[][], options?: StartCallOptions): B2BCall;
  /**
   * Take over two legs connected elsewhere (an IVR's two-stage call, AnsweredBridge.handOver)
   * as a running B2B call with the same bookkeeping, so it is an anchored call like any other.
   * Undefined when a call with that Call-ID runs already (the legs are not taken: release them).
   */
  adoptCall?(inv: IncomingInvite, legs: AdoptedLegs, options?: StartCallOptions): B2BCall | undefined;
  /** GEN-07 / §17.2: anchored calls and their call records (src/features/anchored). */
  anchored?: AnchoredCalls;
  /**
   * Digest-authenticate a device's request outside a dialog (SUBSCRIBE...), like REGISTER:
   * answers the challenge (401) or 403 itself and returns undefined, else the SIP username.
   */
  authenticate?(request: SipRequest, tx: ServerTransaction, flow: Flow): string | undefined;
  /** Our Contact for dialogs reached over `protocol` (e.g. a subscription's 200 and NOTIFYs). */
  contact?(protocol: TransportProtocol): string;
  /** RFC 4235 dialog state of lines for subscribed devices (desk pickup offers, DPU-01/03). */
  dialogEvents?: DialogEventApi;
  /** Who placed a running call (its A-leg's authenticated identity). */
  callerOf?(call: B2BCall): Caller | undefined;
  /** The B2B calls running now (e.g. the VoIP call a hand-out takes over, HOUT-03). */
  liveCalls?(): Iterable<B2BCall>;
  /** Mid-call features and desk pickup for anchored calls on a user's PSTN leg (src/features/mid-call). */
  midCall?: MidCallApi;
}

export interface FeatureDecision {
  id: string;
  arg: string | undefined;
  called: string;
}

export interface Feature {
  readonly name: string;
  /** Dial-plan feature ids this feature serves (e.g. 'efa', 'mva', 'handoff'). */
  readonly featureIds?: readonly string[];
  /** Start timers, re-arm persisted state (e.g. pending DVO-F after a restart). */
  start?(ctx: FeatureContext): Promise<void> | void;
  /**
   * Every new INVITE, before routing. Return true when the feature has taken
   * the call (it then answers the INVITE itself).
   */
  onInvite?(inv: IncomingInvite, caller: Caller, ctx: FeatureContext): boolean;
  /** The dial plan resolved to one of `featureIds`. */
  onFeature?(inv: IncomingInvite, caller: Caller, decision: FeatureDecision, ctx: FeatureContext): void;
  /**
   * A call to a line: return the target groups to ring instead (e.g. SNR adds
   * remote destinations to the desk phones), or undefined to leave them.
   */
  lineTargets?(line: EnterpriseLine, caller: Caller, targets: CallTarget[], inv: IncomingInvite, ctx: FeatureContext): CallTarget[][] | undefined;
  /**
   * A request outside a dialog other than INVITE, REGISTER and OPTIONS (e.g. SUBSCRIBE).
   * Return true when the feature has answered it.
   */
  onRequest?(request: SipRequest, tx: ServerTransaction, flow: Flow, ctx: FeatureContext): boolean;
  /**
   * A REFER on a running call (the B2BUA performs transfers itself): return a decision to
   * take it over (e.g. send-to-mobile, RDPU-01), or undefined to let it be routed as a
   * transfer. `referrer` is the identity of the leg that sent it.
   */
  onRefer?(call: B2BCall, side: 'a' | 'b', refer: ReferTo, referrer: Caller | undefined, ctx: FeatureContext): ReferDecision | undefined;
  close?(): Promise<void> | void;
}
