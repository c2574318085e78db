/**
 * Request schemas of the provisioning entities (spec §17.1), with the spec's ranges. They give
 * the API its 400 answers naming the field, and the OpenAPI document its shapes. The directory
 * still checks what needs the data (references, uniqueness, SNR-03, CID-05...).
 *
 * For each entity: `create` (what POST and the import accept), `patch` (PATCH: every field
 * optional; the key and fields that may not change are absent).
 */
import { z } from 'zod';
import { bool, checkedString, intRange, list, nonEmpty, oneOf, show, str } from '../config/fields.js';
import { parseDialable } from '../config/dialable.js';
import { efaNumberSchema, mobilitySchema } from '../config/mobility-schema.js';
import { normaliseNumber } from '../directory/caller-id-match.js';
import { validateNumberRules } from '../directory/numbers.js';
import { validatePattern } from '../directory/pattern.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './auth/passwords.js';

type Shape = Record<string, z.ZodType>;

const id = () => nonEmpty('a non-empty id').max(128, { error: 'must be at most 128 characters' });
const ref = () => nonEmpty('the id of an existing record');
const nullableRef = () => ref().nullable();
const text = () => str().max(256, { error: 'must be at most 256 characters' });

/** DNs, DIDs, forward targets: digits * # with an optional leading + (1–32). */
export const dialString = () =>
  checkedString((s) => (/^\+?[0-9*#]{1,32}$/.test(s) ? undefined : `must be 1 to 32 of 0-9 * # with an optional leading + (got ${show(s)})`));

/** RD / MI number: dialable digits or +E.164 (spaces, dashes, dots, brackets allowed), or an off-net SIP URI (S0:147). */
export const rdNumber = () =>
  checkedString((s) => {
    if (/^sips?:[^\s@]+@[^\s@]+$/i.test(s.trim())) return undefined;
    const n = normaliseNumber(s);
    if (n === null || n.replace(/^\+/, '').length > 32) return `must be dialable digits (optional leading +) or a SIP URI like sip:user@host (got ${show(s)})`;
    return undefined;
  });

/** An EFA / service access number: at most 24 dialable characters 0-9 * # A-D, "+" written "\+" (DVO-F-04). */
export const efaDialable = () =>
  checkedString((s) => {
    const r = parseDialable(s, {});
    return r.ok ? undefined : r.reason;
  });

const pin = () => checkedString((s) => (/^[0-9]{1,32}$/.test(s) ? undefined : 'must be 1 to 32 digits'));
export const password = () =>
  str().min(MIN_PASSWORD_LENGTH, { error: `must be at least ${MIN_PASSWORD_LENGTH} characters` }).max(MAX_PASSWORD_LENGTH, { error: `must be at most ${MAX_PASSWORD_LENGTH} characters` });
const timeZone = () =>
  checkedString((s) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: s });
      return undefined;
    } catch {
      return `unknown time zone ${show(s)}`;
    }
  });
const rdTimer = () => intRange(0, 60000);
const hhmm = () => checkedString((s) => (/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/.test(s) ? undefined : `must be HH:MM (got ${show(s)})`));

const numberRule = z.strictObject({
  match: nonEmpty(),
  strip: intRange(0, 64).optional(),
  prefix: str().optional(),
  replace: str().optional(),
  applyTo: oneOf(['calling', 'called', 'both']).optional(),
  continue: bool().optional(),
  description: str().optional(),
});
const numberRules = (field: string) =>
  list(numberRule).superRefine((rules, ctx) => {
    for (const p of validateNumberRules(rules, field)) {
      const m = /^\w+\[(\d+)\]\.?(\w*): (.*)$/.exec(p);
      if (m) ctx.addIssue({ code: 'custom', path: m[2] ? [Number(m[1]), m[2]] : [Number(m[1])], message: m[3]! });
      else ctx.addIssue({ code: 'custom', message: p });
    }
  });

const gateway = { peerHost: nonEmpty('a host or IP address'), port: intRange(1, 65535), transport: oneOf(['udp', 'tcp', 'tls']) };

function optionalShape(shape: Shape, omit: readonly string[] = []): Shape {
  const out: Shape = {};
  for (const [k, v] of Object.entries(shape)) if (!omit.includes(k)) out[k] = v.optional();
  return out;
}

export interface EntitySchemas {
  create: z.ZodType;
  patch: z.ZodType;
  /** Fields the REST API accepts besides the directory's (secrets that go elsewhere). */
  extras?: Shape;
}

function entity(required: Shape, optional: Shape, patchOmit: readonly string[], extras?: Shape): EntitySchemas & { shape: Shape } {
  const shape: Shape = { ...required, ...optionalShape(optional) };
  return {
    shape,
    create: z.strictObject({ ...shape, ...(extras ? optionalShape(extras) : {}) }),
    patch: z.strictObject({ ...optionalShape({ ...required, ...optional }, patchOmit), ...(extras ? optionalShape(extras) : {}) }),
    ...(extras ? { extras } : {}),
  };
}

/** The directory-only create schema (import; no API extras). */
export function directoryCreate(e: EntitySchemas & { shape: Shape }): z.ZodType {
  return z.strictObject(e.shape);
}

export const partition = entity({ name: id() }, { description: text() }, ['name']);
export const css = entity({ name: id(), partitions: list(ref()) }, { description: text() }, ['name']);

export const line = entity(
  { number: dialString(), partition: ref() },
  {
    id: id(),
    lineCss: nullableRef(),
    did: dialString().nullable(),
    displayName: text(),
    noAnswerRingDurationS: intRange(1, 300).nullable(),
    callForwardAll: dialString().nullable(),
    callForwardBusy: dialString().nullable(),
    callForwardNoAnswer: dialString().nullable(),
    voicemailPilot: dialString().nullable(),
  },
  ['id'],
);

export const user = entity(
  { userId: checkedString((s) => (/^[A-Za-z0-9._@-]{1,64}$/.test(s) ? undefined : `must be 1 to 64 of A-Z a-z 0-9 . _ @ - (got ${show(s)})`)) },
  {
    displayName: text(),
    mvaNumericId: checkedString((s) => (/^[0-9]{1,32}$/.test(s) ? undefined : `must be 1 to 32 digits (got ${show(s)})`)).nullable(),
    pin: pin().nullable(),
    enableMobility: bool(),
    enableMobileVoiceAccess: bool(),
    maxWaitTimeForDeskPickupMs: intRange(0, 30000),
    primaryLine: nullableRef(),
    timeZone: timeZone(),
  },
  ['userId'],
  { webPassword: password() },
);

const deviceCommon: Shape = {
  ownerUser: nullableRef(),
  sipUsername: nonEmpty().nullable(),
  aor: checkedString((s) => (/^sips?:[^\s@]+@[^\s@]+$/i.test(s) ? undefined : `must be a SIP URI like sip:user@host (got ${show(s)})`)).nullable(),
  css: nullableRef(),
  devicePool: text().nullable(),
  userHoldAudioSource: text().nullable(),
  networkHoldAudioSource: text().nullable(),
  lines: list(ref()),
};
const deskOnly: Shape = {
  capabilities: z.strictObject({ replaces: bool().optional(), dialogEvent: bool().optional(), refer: bool().optional() }),
  videoCapable: bool(),
};
const mobileOnly: Shape = {
  rerouteCss: nullableRef(),
  dndEnabled: bool(),
  hasCellularRadio: bool(),
  dvoEnabled: bool(),
  dvoForwardCapable: bool(),
  transferToMobileNetwork: oneOf(['useMobilitySoftkey', 'useHandoffNumber']),
  emergencyNumbers: list(dialString()),
};
const deviceExtras: Shape = { sipPassword: str().min(1, { error: 'must not be empty' }).max(256, { error: 'must be at most 256 characters' }) };
const deskShape: Shape = { kind: z.literal('desk', { error: 'must be desk or mobileClient' }), id: id(), ...optionalShape({ ...deviceCommon, ...deskOnly }) };
const mobileShape: Shape = { kind: z.literal('mobileClient', { error: 'must be desk or mobileClient' }), id: id(), ...optionalShape({ ...deviceCommon, ...mobileOnly }) };
export const device = {
  shape: { ...deskShape, ...mobileShape, kind: oneOf(['desk', 'mobileClient']) } as Shape,
  create: z.discriminatedUnion('kind', [z.strictObject({ ...deskShape, ...optionalShape(deviceExtras) }), z.strictObject({ ...mobileShape, ...optionalShape(deviceExtras) })], {
    error: (iss) => `must have kind desk or mobileClient (got ${show((iss.input as { kind?: unknown } | undefined)?.kind)})`,
  }),
  directoryCreate: z.discriminatedUnion('kind', [z.strictObject(deskShape), z.strictObject(mobileShape)]),
  patch: z.strictObject({ ...optionalShape({ ...deviceCommon, ...deskOnly, ...mobileOnly }), ...optionalShape(deviceExtras) }),
  extras: deviceExtras,
};

export const rdProfile = entity(
  { name: text().min(1, { error: 'must not be empty' }), ownerUser: ref() },
  {
    id: id(),
    lines: list(ref()),
    css: nullableRef(),
    rerouteCss: nullableRef(),
    devicePool: text().nullable(),
    userHoldAudioSource: text().nullable(),
    networkHoldAudioSource: text().nullable(),
    dndEnabled: bool(),
  },
  ['id', 'ownerUser'],
);

export const accessPolicy = () =>
  z.union([z.literal('always'), z.strictObject({ allowedList: ref() }), z.strictObject({ blockedList: ref() })], {
    error: 'must be "always", {"allowedList": id} or {"blockedList": id}',
  });

/** The fields of an RD that an end user may change in self-care (SNR-10). */
export const rdUserFields: Shape = {
  name: text(),
  number: rdNumber(),
  enableSnr: bool(),
  mobilePhone: bool(),
  delayBeforeRingingMs: rdTimer(),
  answerTooSoonMs: rdTimer(),
  answerTooLateMs: rdTimer(),
  snrVoicemailPolicy: oneOf(['useSystemDefault', 'timerControl', 'userControl']),
  ringSchedule: nullableRef(),
  accessPolicy: accessPolicy(),
};

export const remoteDestination = entity(
  {
    number: rdNumber(),
    parent: z.strictObject({ kind: oneOf(['rdProfile', 'mobileClient']), id: ref() }),
  },
  { id: id(), isMobilityIdentity: bool(), mobilityProfile: nullableRef(), ownerUser: ref(), ...rdUserFields },
  ['id', 'parent', 'ownerUser', 'number'],
);
// The number may change on PATCH (it was omitted above only to re-add it with the same rule).
(remoteDestination as { patch: z.ZodType }).patch = z.strictObject({
  ...optionalShape({ isMobilityIdentity: bool(), mobilityProfile: nullableRef(), ...rdUserFields }),
});

const member = z.strictObject({ kind: oneOf(['number', 'mask', 'notAvailable', 'private']), value: str().nullable().optional() }).superRefine((m, ctx) => {
  if (m.kind === 'number' && !/^\+?[0-9*#]{1,32}$/.test(m.value ?? '')) ctx.addIssue({ code: 'custom', path: ['value'], message: `must be a number (got ${show(m.value)})` });
  if (m.kind === 'mask' && !/^\+?[0-9X*#]{1,32}$/.test(m.value ?? '')) ctx.addIssue({ code: 'custom', path: ['value'], message: `must be a mask of digits and X (got ${show(m.value)})` });
});
export const accessListMembers = () => list(member).max(500, { error: 'at most 500 members' });
export const accessList = entity(
  { name: text().min(1, { error: 'must not be empty' }), ownerUser: ref(), type: oneOf(['allowed', 'blocked']) },
  { id: id(), members: accessListMembers() },
  ['id', 'ownerUser'],
);

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const scheduleEntry = z.strictObject({ days: list(oneOf(DAYS)).min(1, { error: 'must list at least one day' }), start: hhmm(), end: hhmm() }).superRefine((e, ctx) => {
  if (/^\d\d:\d\d$/.test(e.start) && /^\d\d:\d\d$/.test(e.end) && e.end <= e.start) ctx.addIssue({ code: 'custom', path: ['end'], message: `must be after start (${e.start})` });
});
export const scheduleEntries = () => list(scheduleEntry).max(100, { error: 'at most 100 entries' });
export const ringSchedule = entity({ name: text().min(1, { error: 'must not be empty' }), entries: scheduleEntries() }, { id: id(), ownerUser: nullableRef() }, ['id']);

export const mobilityProfile = entity(
  { name: text().min(1, { error: 'must not be empty' }) },
  {
    id: id(),
    dvoRCallbackCallerId: checkedString((s) => (s === '' || /^\+?[0-9*#A-D]{1,24}$/.test(s) ? undefined : `must be at most 24 dialable characters (got ${show(s)})`)).nullable(),
    mobileClientCallingOption: text().nullable(),
  },
  ['id'],
);

export const routePattern = entity(
  {
    partition: ref(),
    pattern: checkedString((s) => validatePattern(s) ?? undefined),
    target: z.strictObject({ kind: oneOf(['trunk', 'line', 'feature']), id: ref(), arg: str().optional() }),
  },
  { id: id(), stripPreDot: bool(), prefix: checkedString((s) => (/^\+?[0-9*#]*$/.test(s) ? undefined : `must be a dial string (got ${show(s)})`)), description: text() },
  ['id'],
);

const trunkAuth = z.union(
  [
    z.strictObject({ username: nonEmpty(), realm: nonEmpty(), password: str().min(1, { error: 'must not be empty' }) }),
    z.strictObject({ username: nonEmpty(), realm: nonEmpty(), ha1Md5: str().regex(/^[0-9a-f]{32}$/), ha1Sha256: str().regex(/^[0-9a-f]{64}$/) }),
  ],
  { error: 'must be {username, realm, password} or {username, realm, ha1Md5, ha1Sha256}' },
);
export const trunk = entity(
  { id: id(), peerHost: gateway.peerHost },
  {
    name: text(),
    port: gateway.port,
    transport: gateway.transport,
    trusted: bool(),
    inboundCss: nullableRef(),
    inboundRules: numberRules('inboundRules'),
    outboundRules: numberRules('outboundRules'),
    dtmfMode: list(oneOf(['rfc4733', 'info', 'kpml', 'inband'])).min(1, { error: 'needs at least one mode' }),
    sendDiversionOnMobilityForks: bool(),
    mobilityForkCallingIdentity: oneOf(['original', 'enterpriseDid']),
    answerSupervision: bool(),
    maxConcurrentCalls: intRange(1, 1_000_000).nullable(),
    mediaRelay: oneOf(['always', 'whenNeeded', 'never']),
    registration: z.strictObject({ aor: nonEmpty(), registrar: str().nullable().optional(), expiresS: intRange(60, 86400).optional() }).nullable(),
    auth: trunkAuth.nullable(),
    alternates: list(z.strictObject(gateway)),
  },
  ['id'],
);

export const directedPark = entity(
  {
    firstNumber: checkedString((s) => (/^[0-9]{1,16}$/.test(s) ? undefined : `must be 1 to 16 digits (got ${show(s)})`)),
    lastNumber: checkedString((s) => (/^[0-9]{1,16}$/.test(s) ? undefined : `must be 1 to 16 digits (got ${show(s)})`)),
    retrievalPrefix: checkedString((s) => (/^[0-9*#]{1,8}$/.test(s) ? undefined : `must be 1 to 8 of 0-9 * # (got ${show(s)})`)),
    partition: ref(),
  },
  { id: id(), reversionTimeoutS: intRange(0, 86400) },
  ['id'],
);

export const sipCredential = entity({ username: checkedString((s) => (/^[^:"\\\s]{1,128}$/.test(s) ? undefined : 'must be 1 to 128 characters without : " \\ or spaces')), password: str().min(1, { error: 'must not be empty' }) }, { realm: nonEmpty(), deviceId: nullableRef() }, ['username']);

export const efaNumber = {
  create: z.strictObject({ ...efaNumberSchema.shape, number: efaDialable() }),
  patch: z.strictObject({ number: efaDialable().optional(), partition: nonEmpty().optional(), description: str().optional(), isDefault: bool().optional() }),
};

/** One §16 parameter's schema, by key (undefined for unknown keys). */
export function serviceParameterSchema(key: string): z.ZodType | undefined {
  const shape = (mobilitySchema as unknown as { shape: Record<string, z.ZodType> }).shape;
  return Object.prototype.hasOwnProperty.call(shape, key) ? shape[key] : undefined;
}

export const serviceParameterKeys = (): string[] => Object.keys((mobilitySchema as unknown as { shape: Record<string, z.ZodType> }).shape);

// ---- auth and self-care bodies ------------------------------------------------------------

export const loginBody = z.strictObject({ username: nonEmpty(), password: str().max(MAX_PASSWORD_LENGTH) });
export const accountCreate = z.strictObject({ username: nonEmpty(), role: oneOf(['admin', 'user']), userId: ref().nullable().optional(), password: password() });
export const accountPatch = z.strictObject({ password: password() });
export const tokenCreate = z.strictObject({ name: text().optional(), username: nonEmpty().optional() });
export const passwordChange = z.strictObject({ currentPassword: str(), newPassword: password() });
export const pinChange = z.strictObject({ currentPin: str().optional(), newPin: checkedString((s) => (/^[0-9]{4,32}$/.test(s) ? undefined : 'must be 4 to 32 digits')) });
export const snrSwitch = z.strictObject({ enabled: bool() });
export const selfPatch = z.strictObject({ timeZone: timeZone().optional(), displayName: text().optional() });
export const selfRdCreate = z.strictObject({
  ...optionalShape(rdUserFields),
  number: rdNumber(),
  parent: z.strictObject({ kind: oneOf(['rdProfile', 'mobileClient']), id: ref() }).optional(),
});
export const selfRdPatch = z.strictObject(optionalShape(rdUserFields));
export const selfAccessListCreate = z.strictObject({ id: id().optional(), name: text().min(1, { error: 'must not be empty' }), type: oneOf(['allowed', 'blocked']), members: accessListMembers().optional() });
export const selfAccessListPatch = z.strictObject({ name: text().min(1, { error: 'must not be empty' }).optional(), type: oneOf(['allowed', 'blocked']).optional(), members: accessListMembers().optional() });
export const selfScheduleCreate = z.strictObject({ id: id().optional(), name: text().min(1, { error: 'must not be empty' }), entries: scheduleEntries() });
export const selfSchedulePatch = z.strictObject({ name: text().min(1, { error: 'must not be empty' }).optional(), entries: scheduleEntries().optional() });
