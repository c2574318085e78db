/**
 * The mobility system parameters of spec §16, with the spec's key names, defaults and ranges.
 * The same schema validates `mobility:` in the YAML file and the directory's service-parameter
 * overrides (which are merged onto the file values and validated as a whole).
 *
 * Per-RD / per-user rows of §16 (`delayBeforeRingingMs`, `answerTooSoonMs`, `answerTooLateMs`,
 * `snrVoicemailPolicy`, `maxWaitTimeForDeskPickupMs`) are the defaults given to new records.
 */
import { z } from 'zod';
import { bool, checkedString, intRange, list, oneOf, show, str } from './fields.js';
import { checkFeatureCodes, isDialCode, parseBlockedNumbers, parseDialable, unescapeDialable } from './dialable.js';

const dialable = (opts: Parameters<typeof parseDialable>[1]) =>
  checkedString((s) => {
    const r = parseDialable(s, opts);
    return r.ok ? undefined : r.reason;
  });

const dialCode = () =>
  checkedString((s) => (isDialCode(s) ? undefined : `must be 1 to 24 dialable characters 0-9 * # A-D (got ${show(s)})`));

const sipUri = () =>
  checkedString((s) => (/^sips?:[^\s@]+@[^\s@]+$/.test(s) ? undefined : `must be a SIP URI like sip:user@host (got ${show(s)})`));

export const efaNumberSchema = z.strictObject({
  /** ≤ 24 dialable characters, `+` written `\+` (DVO-F-04). */
  number: dialable({}),
  partition: str().min(1, { error: 'must name a partition' }),
  description: str().default(''),
  isDefault: bool().default(false),
});
export type EfaNumberConfig = z.output<typeof efaNumberSchema>;

export const FEATURE_CODE_KEYS = ['hold', 'exclusiveHold', 'resume', 'transfer', 'conference', 'sessionHandoff'] as const;
export type FeatureCodeKey = (typeof FEATURE_CODE_KEYS)[number];

export const featureCodesSchema = z
  .strictObject({
    hold: str().default('*81'),
    exclusiveHold: str().default('*82'),
    resume: str().default('*83'),
    transfer: str().default('*84'),
    conference: str().default('*85'),
    sessionHandoff: str().default('*74'),
  })
  .superRefine((codes, ctx) => {
    for (const p of checkFeatureCodes(codes)) ctx.addIssue({ code: 'custom', path: [p.key], message: p.message });
  });

const blockedNumbers = () =>
  checkedString((s) => {
    for (const n of parseBlockedNumbers(s)) {
      if (!/^\+?[0-9*#A-D]+$/.test(n)) return `entry "${n}" is not a dialable digit string`;
    }
    return undefined;
  });

const mobilityShape = {
  // --- per RD/MI defaults (§16 rows with scope "per RD/MI"), TMR-05: 0..60000, 0 = off (ATS/ATL)
  delayBeforeRingingMs: intRange(0, 60000).default(4000),
  answerTooSoonMs: intRange(0, 60000).default(1500),
  answerTooLateMs: intRange(0, 60000).default(19000),
  snrVoicemailPolicy: oneOf(['useSystemDefault', 'timerControl', 'userControl']).default('useSystemDefault'),
  // --- per user default
  maxWaitTimeForDeskPickupMs: intRange(0, 30000).default(10000),
  // --- system
  voicemailSelectionPolicy: oneOf(['timerControl', 'userControl']).default('timerControl'),
  userControlPromptDelayMs: intRange(0, 60000).default(1000),
  userControlDtmfWaitMs: intRange(1, 60000).default(5000),
  sessionHandoffAlertingTimerS: intRange(1, 300).default(10),
  callAwaitTimerS: intRange(5, 120).default(30),
  sessionResumptionAwaitTimerS: intRange(0, 300).default(180),
  forwardNoAnswerTimerS: intRange(1, 300).default(12),
  matchCallerIdWithRemoteDestination: oneOf(['complete', 'partial']).default('complete'),
  callerIdPartialMatchDigits: intRange(1, 24).default(10),
  inboundCssForRemoteDestination: oneOf(['trunkInboundCss', 'profileAndLineCss']).default('trunkInboundCss'),
  rerouteRemoteDestinationCallsToEnterpriseNumber: bool().default(false),
  ignoreCallForwardAllOnEnterpriseDn: bool().default(true),
  ringAllSharedLines: bool().default(true),
  enableMobileVoiceAccess: bool().default(false),
  enableEnterpriseFeatureAccess: bool().default(false),
  systemRemoteAccessBlockedNumbers: blockedNumbers().default(''),
  dvoForwardServiceAccessNumber: dialable({ allowEmpty: true }).default(''),
  efaNumbers: list(efaNumberSchema).default([]),
  mobilityFeatureCodes: featureCodesSchema.prefault({}),
  dtmfInterDigitTimeoutMs: intRange(500, 10000).default(3000),
  maxPinAttempts: intRange(1, 10).default(3),
  dvoAlternateCallbackRingTimeoutS: intRange(1, 300).default(45),
  passThroughFeatureDigits: bool().default(true),
  snrOverflowAction: oneOf(['voicemail', 'deskOnly']).default('voicemail'),
  snrOnCode: dialCode().default('*9501'),
  snrOffCode: dialCode().default('*9500'),
  snrStatusCode: dialCode().default('*9502'),
  /** Default `sip:*9503@<domain>`, filled in from `domain` when absent. */
  sendToMobileUri: sipUri().optional(),
  deskPickupCode: dialCode().default('*9504'),
  applyBlockedNumbersToDvo: bool().default(true),
  /** Default `sip:*9505@<domain>`, filled in from `domain` when absent. */
  handoutUri: sipUri().optional(),
  dvoCtrlAnswerOn: oneOf(['connect', 'mobileLeg']).default('connect'),
  srTriggerCauses: list(intRange(1, 127)).default([]),
  mvaDirectoryNumber: dialable({ allowBarePlus: true, allowEmpty: true }).default(''),
  /** Partition of the MVA number (§17 MvaConfig.partition). */
  mvaPartition: str().default(''),
  /** §17 MvaConfig.promptLocale (impl.). */
  mvaPromptLocale: str().default('en'),
  handoffNumber: dialable({ allowBarePlus: true, allowEmpty: true }).default(''),
  /** Partition of the handoff number (§17 HandoffConfig.partition). */
  handoffPartition: str().default(''),
  ivrInputTimeoutS: intRange(3, 60).default(10),
  pinLockoutThreshold: intRange(0, 100).default(10),
  pinLockoutDurationS: intRange(60, 86400).default(900),
};

export const MOBILITY_KEYS = Object.keys(mobilityShape) as (keyof typeof mobilityShape)[];

type RawMobility = z.output<z.ZodObject<typeof mobilityShape>>;

/** Cross-field rules: EFA default (EFA-07), distinct numbers (HOUT-05), partitions given with numbers. */
function checkMobility(m: RawMobility, ctx: z.RefinementCtx): void {
  const efa = m.efaNumbers;
  if (efa.length > 1) {
    const defaults = efa.filter((e) => e.isDefault).length;
    if (defaults !== 1) {
      ctx.addIssue({ code: 'custom', path: ['efaNumbers'], message: `exactly one EFA number must have isDefault: true (got ${defaults})` });
    }
  }
  const seen = new Map<string, string>();
  const claim = (value: string, path: (string | number)[], label: string) => {
    if (value === '') return;
    const prev = seen.get(value);
    if (prev) ctx.addIssue({ code: 'custom', path, message: `${label} "${value}" is already used by ${prev}` });
    else seen.set(value, path.join('.'));
  };
  efa.forEach((e, i) => claim(unescapeDialable(e.number), ['efaNumbers', i, 'number'], 'number'));
  // The SAN may equal an EFA number (the carrier may deliver either, DVO-F-06): only HOUT-05 forbids overlap with handoff.
  const handoff = unescapeDialable(m.handoffNumber);
  if (handoff !== '') {
    const clash = [
      ...efa.map((e) => ['an EFA number', unescapeDialable(e.number)] as const),
      ['dvoForwardServiceAccessNumber', unescapeDialable(m.dvoForwardServiceAccessNumber)] as const,
      ['mvaDirectoryNumber', unescapeDialable(m.mvaDirectoryNumber)] as const,
    ].find(([, v]) => v === handoff);
    if (clash) ctx.addIssue({ code: 'custom', path: ['handoffNumber'], message: `must differ from ${clash[0]} (HOUT-05; both are "${handoff}")` });
  }
  const mva = unescapeDialable(m.mvaDirectoryNumber);
  if (mva !== '' && efa.some((e) => unescapeDialable(e.number) === mva)) {
    ctx.addIssue({ code: 'custom', path: ['mvaDirectoryNumber'], message: `must differ from the EFA numbers ("${mva}")` });
  }
  if (m.mvaDirectoryNumber !== '' && m.mvaPartition === '') {
    ctx.addIssue({ code: 'custom', path: ['mvaPartition'], message: 'must name a partition when mvaDirectoryNumber is set' });
  }
  if (m.handoffNumber !== '' && m.handoffPartition === '') {
    ctx.addIssue({ code: 'custom', path: ['handoffPartition'], message: 'must name a partition when handoffNumber is set' });
  }
}

export const mobilitySchema = z.strictObject(mobilityShape).superRefine(checkMobility);

export type MobilityInput = z.input<typeof mobilitySchema>;
export type MobilityParameters = Omit<z.output<typeof mobilitySchema>, 'sendToMobileUri' | 'handoutUri'> & {
  sendToMobileUri: string;
  handoutUri: string;
};
export type MobilityKey = keyof MobilityParameters;

/** Fills the domain-dependent defaults (D-14 `sendToMobileUri`, D-27 `handoutUri`). */
export function withDomainDefaults(m: z.output<typeof mobilitySchema>, domain: string): MobilityParameters {
  return {
    ...m,
    sendToMobileUri: m.sendToMobileUri ?? `sip:*9503@${domain}`,
    handoutUri: m.handoutUri ?? `sip:*9505@${domain}`,
  };
}

/** EFA numbers normalised: one marked default when there is exactly one entry. */
export function defaultEfaNumber(m: Pick<MobilityParameters, 'efaNumbers'>): EfaNumberConfig | undefined {
  if (m.efaNumbers.length === 1) return m.efaNumbers[0];
  return m.efaNumbers.find((e) => e.isDefault);
}
