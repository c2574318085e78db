/**
 * Provisioning entities of spec §17.1 as stored by the directory. Absent optional values are
 * `null` (as in the database). References are ids / names of other entities.
 */
import type { NumberRule } from './numbers.js';
import type { RouteTarget } from './dial-plan.js';

export interface Partition {
  name: string;
  description: string;
}

/** Calling search space: ordered partitions. */
export interface Css {
  name: string;
  description: string;
  partitions: string[];
}

export interface EnterpriseLine {
  id: string;
  /** Internal DN, e.g. `5001` (digits, optional leading `+`). */
  number: string;
  partition: string;
  lineCss: string | null;
  /** externalMask / DID, e.g. `+14085551234` (CLI-05). */
  did: string | null;
  displayName: string;
  /** Overrides `forwardNoAnswerTimerS` (1–300). */
  noAnswerRingDurationS: number | null;
  callForwardAll: string | null;
  callForwardBusy: string | null;
  callForwardNoAnswer: string | null;
  voicemailPilot: string | null;
}

export interface EndUser {
  userId: string;
  displayName: string;
  /** Digits typed at the MVA prompt; unique. */
  mvaNumericId: string | null;
  /** A PIN is set (the hash itself never leaves the directory). */
  hasPin: boolean;
  enableMobility: boolean;
  enableMobileVoiceAccess: boolean;
  /** 0–30000 (DPU-02). */
  maxWaitTimeForDeskPickupMs: number;
  primaryLine: string | null;
  /** IANA time zone for ring schedules. */
  timeZone: string;
}

export interface DeskCapabilities {
  replaces: boolean;
  dialogEvent: boolean;
  refer: boolean;
}

interface DeviceCommon {
  /** deviceId / deviceName (unique). */
  id: string;
  ownerUser: string | null;
  /** Digest username (see sip credentials). */
  sipUsername: string | null;
  /** Address of record, e.g. `sip:d1@example.com`. */
  aor: string | null;
  /** Device CSS (calls from the device / DVO target legs). */
  css: string | null;
  devicePool: string | null;
  userHoldAudioSource: string | null;
  networkHoldAudioSource: string | null;
  /** Line ids, in button order. */
  lines: string[];
}

export interface DeskDevice extends DeviceCommon {
  kind: 'desk';
  capabilities: DeskCapabilities;
  videoCapable: boolean;
}

export type TransferToMobileNetwork = 'useMobilitySoftkey' | 'useHandoffNumber';

export interface MobileClientDevice extends DeviceCommon {
  kind: 'mobileClient';
  /** Routes legs to the MI / RDs (DVO callbacks, SNR, hand-out). */
  rerouteCss: string | null;
  dndEnabled: boolean;
  hasCellularRadio: boolean;
  dvoEnabled: boolean;
  dvoForwardCapable: boolean;
  transferToMobileNetwork: TransferToMobileNetwork;
  emergencyNumbers: string[];
}

export type Device = DeskDevice | MobileClientDevice;

export interface RemoteDestinationProfile {
  id: string;
  name: string;
  ownerUser: string;
  lines: string[];
  css: string | null;
  rerouteCss: string | null;
  devicePool: string | null;
  userHoldAudioSource: string | null;
  networkHoldAudioSource: string | null;
  dndEnabled: boolean;
}

export type SnrVoicemailPolicy = 'useSystemDefault' | 'timerControl' | 'userControl';
export type AccessPolicy = 'always' | { allowedList: string } | { blockedList: string };
export type RdParent = { kind: 'rdProfile'; id: string } | { kind: 'mobileClient'; id: string };

export interface RemoteDestination {
  id: string;
  name: string;
  /** Dialable digits or +E.164, or an off-net SIP URI. Unique (CID-05). */
  number: string;
  isMobilityIdentity: boolean;
  parent: RdParent;
  mobilityProfile: string | null;
  ownerUser: string;
  enableSnr: boolean;
  mobilePhone: boolean;
  delayBeforeRingingMs: number;
  answerTooSoonMs: number;
  answerTooLateMs: number;
  snrVoicemailPolicy: SnrVoicemailPolicy;
  /** Ring schedule id; null = all the time. */
  ringSchedule: string | null;
  accessPolicy: AccessPolicy;
}

export type AccessListMemberKind = 'number' | 'mask' | 'notAvailable' | 'private';
export interface AccessListMember {
  kind: AccessListMemberKind;
  value: string | null;
}
export interface AccessList {
  id: string;
  name: string;
  ownerUser: string;
  type: 'allowed' | 'blocked';
  members: AccessListMember[];
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export interface RingScheduleEntry {
  days: Weekday[];
  /** HH:MM */
  start: string;
  /** HH:MM */
  end: string;
}
export interface RingSchedule {
  id: string;
  name: string;
  ownerUser: string | null;
  entries: RingScheduleEntry[];
}

export interface MobilityProfile {
  id: string;
  name: string;
  /** Empty/null: the default EFA number (CLI-03). */
  dvoRCallbackCallerId: string | null;
  /** Stored only (no effect on behaviour). */
  mobileClientCallingOption: string | null;
}

export interface RoutePattern {
  id: string;
  partition: string;
  pattern: string;
  target: RouteTarget;
  stripPreDot: boolean;
  prefix: string;
  description: string;
}

export type DtmfMode = 'rfc4733' | 'info' | 'kpml' | 'inband';
export type TrunkTransport = 'udp' | 'tcp' | 'tls';

export interface TrunkGateway {
  peerHost: string;
  port: number;
  transport: TrunkTransport;
}

export interface TrunkRegistration {
  /** AOR registered at the carrier, e.g. `sip:+14085550000@carrier.example`. */
  aor: string;
  /** Registrar host:port if not the peer. */
  registrar: string | null;
  expiresS: number;
}

/** Digest credentials towards the carrier, stored as HA1 for the given realm (no plaintext). */
export interface TrunkAuth {
  username: string;
  realm: string;
  ha1Md5: string;
  ha1Sha256: string;
}

export interface Trunk {
  id: string;
  name: string;
  peerHost: string;
  port: number;
  transport: TrunkTransport;
  /** P-Asserted-Identity honoured (CID-01). */
  trusted: boolean;
  inboundCss: string | null;
  inboundRules: NumberRule[];
  outboundRules: NumberRule[];
  dtmfMode: DtmfMode[];
  sendDiversionOnMobilityForks: boolean;
  mobilityForkCallingIdentity: 'original' | 'enterpriseDid';
  answerSupervision: boolean;
  /** null = no limit (LIM-04). */
  maxConcurrentCalls: number | null;
  mediaRelay: 'always' | 'whenNeeded' | 'never';
  registration: TrunkRegistration | null;
  auth: TrunkAuth | null;
  /** Alternative gateways, in failover order after peerHost:port. */
  alternates: TrunkGateway[];
}

export interface DirectedPark {
  id: string;
  /** First and last park number of the range (same length, digits). */
  firstNumber: string;
  lastNumber: string;
  retrievalPrefix: string;
  partition: string;
  /** 0 = no reversion (D-20). */
  reversionTimeoutS: number;
}

export interface SipCredential {
  username: string;
  realm: string;
  deviceId: string | null;
}

export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** Result of provisioning an RD/MI: the record plus CID-05 warnings. */
export interface ProvisionResult<T> {
  record: T;
  warnings: string[];
}
