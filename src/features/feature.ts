/**
 * The plug-in contract between the server and a mobility feature (DVO, SNR,
 * Session Resumption, mid-call, MVA...). A feature sees new calls after the
 * caller is identified and the admission checks passed, and can take them
 * over, handle dial-plan feature numbers, or add forks to calls for a line.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { B2BCall, CallTarget } from '../b2bua/call.js';
import type { CallMedia } from '../b2bua/call-media.js';
import type { Config } from '../config/index.js';
import type { Directory } from '../directory/directory.js';
import type { EnterpriseLine } from '../directory/types.js';
import type { MediaAnchor } from '../media/media-anchor.js';
import type { Registrar } from '../registrar/registrar.js';
import type { Caller, Router } from '../routing/router.js';
import type { IncomingInvite } from '../sip/ua/incoming-invite.js';
import type { UserAgentCore } from '../sip/ua/user-agent-core.js';
import type { StateStores } from '../state/types.js';

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
  state: StateStores;
  log: Logger;
  /** Register the feature's own Prometheus metrics here. */
  metrics: Registry;
  /** Run an ordinary B2B call for `inv` towards the target groups, with the server's bookkeeping. */
  startCall(inv: IncomingInvite, groups: CallTarget[][], options?: StartCallOptions): B2BCall;
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
  close?(): Promise<void> | void;
}
