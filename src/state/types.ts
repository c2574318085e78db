/**
 * Runtime state stores (spec §17.2 and GEN-05). Interfaces are asynchronous (every method
 * returns a Promise) so a shared Redis implementation can replace the local one when several
 * nodes run; the local implementation (in-memory + SQLite write-through) does its work
 * synchronously and returns resolved promises.
 *
 * Time values are epoch milliseconds (wall clock), so a deadline stored before a restart can be
 * re-armed with its remaining time: `setTimeout(fire, Math.max(0, rec.expiresAt - Date.now()))`.
 * Stores never run timers of their own: expiry is `sweep(now)`, which removes and returns what has
 * expired (see sweeper.ts for an unref'd periodic sweep).
 */

/** Where a REGISTER came from (the source of the request, not the Contact). */
export interface ReceivedFrom {
  address: string;
  port: number;
  transport: string;
}

/** A registered contact of an AOR (RFC 3261 §10, RFC 5626 outbound, RFC 3327 Path). */
export interface ContactBinding {
  /** Normalised AOR, e.g. `sip:d1@example.com`. */
  aor: string;
  /** The Contact URI as registered. */
  contact: string;
  expiresAt: number;
  /** 0..1; 1 when the Contact has no q. */
  q: number;
  callId: string;
  cseq: number;
  /** `+sip.instance` (RFC 5626/5627), without angle brackets. */
  instanceId: string | null;
  /** `reg-id` (RFC 5626). */
  regId: number | null;
  /** Path header URIs, in order (RFC 3327). */
  path: string[];
  received: ReceivedFrom;
  /** Flow / connection the REGISTER arrived on, to reach the UA behind NAT (RFC 5626). */
  flow: { connectionId: string | null; localAddress: string | null; localPort: number | null } | null;
  /** Other Contact parameters, e.g. `+mobility-inbound` (D-24); null for a parameter without a value. */
  params: Record<string, string | null>;
  userAgent: string | null;
  registeredAt: number;
}

/**
 * The identity of a binding within its AOR: instance-id and reg-id (RFC 5626) when present,
 * else instance-id (RFC 5627), else the Contact URI.
 */
export function bindingKey(b: Pick<ContactBinding, 'contact' | 'instanceId' | 'regId'>): string {
  if (b.instanceId) return b.regId !== null && b.regId !== undefined ? `inst:${b.instanceId}#${b.regId}` : `inst:${b.instanceId}`;
  return `uri:${b.contact}`;
}

export interface RegistrationStore {
  /** Adds or replaces the binding with the same key; resolves to the binding it replaced. */
  put(binding: ContactBinding): Promise<ContactBinding | undefined>;
  get(aor: string, key: string): Promise<ContactBinding | undefined>;
  remove(aor: string, key: string): Promise<boolean>;
  /** Removes every binding of the AOR (REGISTER with `Contact: *`); resolves to them. */
  removeAll(aor: string): Promise<ContactBinding[]>;
  /** Unexpired bindings of the AOR at `now`, highest q first, then most recently registered. */
  list(aor: string, now?: number): Promise<ContactBinding[]>;
  /** AORs that have at least one unexpired binding. */
  listAors(now?: number): Promise<string[]>;
  /** Removes and returns the bindings with expiresAt ≤ now. */
  sweep(now: number): Promise<ContactBinding[]>;
}

/** Reference to a SIP dialog, enough to find it again (CTRL dialog of DVO). */
export interface DialogRef {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** Spec §17.2 PendingDvoF: a DVO-F request waiting for the inbound call (DVO-F-05). */
export interface PendingDvoF {
  deviceId: string;
  /** Id of the device's MI (RemoteDestination). */
  miId: string;
  miNumber: string;
  /** Number from the request's `c=PSTN E164` line. */
  sdpNumber: string;
  target: string;
  ctrlDialog: DialogRef;
  createdAt: number;
  /** createdAt + callAwaitTimerS: when DVO-F-07 fires. */
  expiresAt: number;
  /** Node holding the CTRL dialog (multi-node deployments); null locally. */
  nodeId: string | null;
}

export interface PendingDvoStore {
  /** Stores the record unless the device already has one (DVO-F-02); resolves false then. */
  create(rec: PendingDvoF): Promise<boolean>;
  get(deviceId: string): Promise<PendingDvoF | undefined>;
  /** Atomically removes and returns the record: exactly one inbound call can correlate (DVO-F-06). */
  take(deviceId: string): Promise<PendingDvoF | undefined>;
  remove(deviceId: string): Promise<boolean>;
  list(): Promise<PendingDvoF[]>;
  /** Removes and returns records with expiresAt ≤ now (DVO-F-07). */
  sweep(now: number): Promise<PendingDvoF[]>;
}

/** Spec §17.2 ResumptionRecord (SR-01), keyed by device (one MI per device). */
export interface ResumptionRecord {
  deviceId: string;
  miId: string;
  miNumber: string;
  /** The original DVO-F target (SR-05 calls it again). */
  target: string;
  /** The anchored call, while it exists (SR-04). */
  anchoredCallRef: string | null;
  createdAt: number;
  /** Deadline of the Session Resumption Await Timer; null while the mobile leg is up (SR-02 not started). */
  expiresAt: number | null;
  nodeId: string | null;
}

export interface ResumptionStore {
  /** Stores the record, replacing the device's previous one (SR-07); resolves to the replaced record. */
  put(rec: ResumptionRecord): Promise<ResumptionRecord | undefined>;
  get(deviceId: string): Promise<ResumptionRecord | undefined>;
  update(deviceId: string, patch: Partial<Pick<ResumptionRecord, 'anchoredCallRef' | 'expiresAt' | 'nodeId'>>): Promise<ResumptionRecord | undefined>;
  remove(deviceId: string): Promise<boolean>;
  list(): Promise<ResumptionRecord[]>;
  /** Removes and returns records whose timer has run out (SR-06). Records with expiresAt null stay. */
  sweep(now: number): Promise<ResumptionRecord[]>;
}

/** Spec §17.2 PinFailureState (MVA-11, D-49). */
export interface PinFailureState {
  userId: string;
  consecutiveFailures: number;
  /** Epoch ms until which every PIN check fails; null = not locked. */
  lockedUntil: number | null;
  lastFailureAt: number | null;
}

export interface PinLockoutPolicy {
  /** pinLockoutThreshold; 0 = no lockout. */
  threshold: number;
  /** pinLockoutDurationS. */
  durationS: number;
}

export interface PinFailureStore {
  get(userId: string): Promise<PinFailureState | undefined>;
  isLocked(userId: string, now: number): Promise<boolean>;
  /**
   * Counts a failed PIN check. Reaching the threshold locks the user for durationS.
   * A failure while locked is not counted (the lock is not extended); after a lock has ended
   * the count starts again from zero.
   */
  recordFailure(userId: string, now: number, policy: PinLockoutPolicy): Promise<PinFailureState>;
  /** A correct PIN (checked while not locked) resets the count. */
  recordSuccess(userId: string): Promise<void>;
  /** Removes and returns states whose lock has ended. */
  sweep(now: number): Promise<PinFailureState[]>;
}

export interface StateStores {
  registrations: RegistrationStore;
  pendingDvo: PendingDvoStore;
  resumptions: ResumptionStore;
  pinFailures: PinFailureStore;
  close(): Promise<void>;
}
