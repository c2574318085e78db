/**
 * The AnchoredCall runtime entity (spec §17.2, GEN-01/GEN-02) and the call record every
 * anchored call leaves behind (GEN-07): the FAR leg, every user-side leg and the feature that
 * created the call.
 */

/** The feature that created the call (§17.2 origin). */
export type AnchoredOrigin = 'snr' | 'mva' | 'efa' | 'dvoR' | 'dvoF' | 'isc' | 'inboundRd' | 'handout';
export const ANCHORED_ORIGINS: readonly AnchoredOrigin[] = ['snr', 'mva', 'efa', 'dvoR', 'dvoF', 'isc', 'inboundRd', 'handout'];

export type AnchoredState = 'alerting' | 'connected' | 'held' | 'exclusiveHeld' | 'pickupPending' | 'parked' | 'conference' | 'released';

/** GEN-01 leg roles; FAR is the far-end party's leg that stays up. */
export type LegRole = 'FAR' | 'DESK' | 'VOIP' | 'RD' | 'CTRL' | 'EFA2';

/** One leg of an anchored call: enough to find its dialog and to say who was on it. */
export interface AnchoredLeg {
  role: LegRole;
  /** The leg's own Call-ID (each leg of a B2BUA call has its own). */
  callId: string;
  /** Our tag and the peer's tag on that dialog, once known. */
  localTag?: string;
  remoteTag?: string;
  /** Who is on the leg (the peer's URI or number). */
  peer?: string;
  /** Free text: the call target label ('rd:RD1', 'device:D1', 'trunk:T'...). */
  label?: string;
  /** When the leg was answered / released (epoch ms). */
  connectedAt?: number;
  releasedAt?: number;
}

export interface AnchoredCall {
  /** Registry id (the creating feature's call id, e.g. the A-leg Call-ID). */
  id: string;
  /** The user the call belongs to (EndUser id), when known. */
  user: string | null;
  /** The line (DN) of the user, when known. */
  line: string | null;
  origin: AnchoredOrigin;
  farLeg: AnchoredLeg | null;
  /** User-side legs, current and released, in the order they joined. */
  userLegs: AnchoredLeg[];
  state: AnchoredState;
  /** GEN-02: at least one trunk leg and created by a mobility feature (false e.g. for DVO-R to an alternate number). */
  anchored: boolean;
  startedAt: number;
  connectedAt?: number;
  /** The server's live call id (key of server.calls) when the call runs as a B2BCall. */
  callRef?: string;
  /** The node holding the call (several nodes share a store); null locally. */
  nodeId: string | null;
}

/** GEN-07: what an ended call leaves, exactly once. */
export interface CallRecord {
  id: string;
  user: string | null;
  line: string | null;
  origin: AnchoredOrigin;
  anchored: boolean;
  farLeg: AnchoredLeg | null;
  userLegs: AnchoredLeg[];
  /** The state the call was in when it ended. */
  finalState: AnchoredState;
  startedAt: number;
  connectedAt: number | null;
  endedAt: number;
  /** Connected time (0 when it never connected). */
  durationMs: number;
  /** 'answered', 'cancelled', 'failed', 'no-answer', 'busy'... */
  result: string;
  status?: number;
  /** Who released: 'far', 'user', 'server' (or the B2BCall's a/b/server). */
  by?: string;
  callRef?: string;
}
