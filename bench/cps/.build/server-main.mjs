// bench/cps/server-main.ts
import { mkdirSync as mkdirSync5 } from "node:fs";
import { join as join5 } from "node:path";
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";

// src/config/load.ts
import { parseDocument } from "yaml";

// src/config/schema.ts
import { z as z3 } from "zod";

// src/config/fields.ts
import { z } from "zod";
function show(v) {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === void 0) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return String(v);
}
function intRange(min, max) {
  const range = (iss) => `must be between ${min} and ${max} (got ${show(iss.input)})`;
  return z.number({ error: (iss) => `must be an integer between ${min} and ${max} (got ${show(iss.input)})` }).int({ error: (iss) => `must be an integer between ${min} and ${max} (got ${show(iss.input)})` }).min(min, { error: range }).max(max, { error: range });
}
function intMin(min) {
  return z.number({ error: (iss) => `must be an integer \u2265 ${min} (got ${show(iss.input)})` }).int({ error: (iss) => `must be an integer \u2265 ${min} (got ${show(iss.input)})` }).min(min, { error: (iss) => `must be \u2265 ${min} (got ${show(iss.input)})` });
}
var port = () => intRange(0, 65535);
function bool() {
  return z.boolean({ error: (iss) => `must be true or false (got ${show(iss.input)})` });
}
function str(what = "a string") {
  return z.string({ error: (iss) => `must be ${what} (got ${show(iss.input)})` });
}
function nonEmpty(what = "a non-empty string") {
  return str(what).min(1, { error: `must be ${what}` });
}
function oneOf(values) {
  return z.enum(values, {
    error: (iss) => `must be one of ${values.join(", ")} (got ${show(iss.input)})`
  });
}
function checkedString(check, what = "a string") {
  return str(what).superRefine((s, ctx) => {
    const msg = check(s);
    if (msg) ctx.addIssue({ code: "custom", message: msg });
  });
}
function list(item) {
  return z.array(item, { error: (iss) => `must be a list (got ${show(iss.input)})` });
}

// src/config/mobility-schema.ts
import { z as z2 } from "zod";

// src/config/dialable.ts
var MAX_DIALABLE_CHARS = 24;
function parseDialable(raw, opts = {}) {
  const max = opts.maxChars ?? MAX_DIALABLE_CHARS;
  if (raw === "") return opts.allowEmpty ? { ok: true, value: "" } : { ok: false, reason: "must not be empty" };
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\") {
      if (raw[i + 1] !== "+") return { ok: false, reason: `"\\" may only escape "+" (at position ${i + 1})` };
      out += "+";
      i++;
      continue;
    }
    if (c === "+") {
      if (!opts.allowBarePlus) return { ok: false, reason: 'a "+" must be written "\\+"' };
      out += "+";
      continue;
    }
    if (!/[0-9*#A-D]/.test(c)) return { ok: false, reason: `invalid character "${c}" (allowed: 0-9 * # A-D \\+)` };
    out += c;
  }
  if (out.length > max) return { ok: false, reason: `at most ${max} dialable characters (got ${out.length})` };
  return { ok: true, value: out };
}
function unescapeDialable(raw) {
  return raw.replace(/\\\+/g, "+");
}
function isDialCode(s) {
  return /^[0-9*#A-D]{1,24}$/.test(s);
}
function checkFeatureCodes(codes) {
  const problems = [];
  const entries = Object.entries(codes);
  for (const [key2, code] of entries) {
    if (!code.startsWith("*")) problems.push({ key: key2, message: `must start with "*" (got "${code}")` });
    else if (!/^\*[0-9*#A-D]+$/.test(code)) {
      problems.push({ key: key2, message: `must be "*" followed by dialable characters 0-9 * # A-D (got "${code}")` });
    }
  }
  for (let i = 0; i < entries.length; i++) {
    for (let j = 0; j < entries.length; j++) {
      if (i === j) continue;
      const [ka, a] = entries[i];
      const [kb, b] = entries[j];
      if (a === b && i < j) problems.push({ key: kb, message: `duplicates ${ka} ("${b}")` });
      else if (a !== b && b.startsWith(a)) problems.push({ key: kb, message: `"${b}" starts with ${ka} "${a}" (no code may be a prefix of another)` });
    }
  }
  return problems;
}
function parseBlockedNumbers(s) {
  return s.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

// src/config/mobility-schema.ts
var dialable = (opts) => checkedString((s) => {
  const r = parseDialable(s, opts);
  return r.ok ? void 0 : r.reason;
});
var dialCode = () => checkedString((s) => isDialCode(s) ? void 0 : `must be 1 to 24 dialable characters 0-9 * # A-D (got ${show(s)})`);
var sipUri = () => checkedString((s) => /^sips?:[^\s@]+@[^\s@]+$/.test(s) ? void 0 : `must be a SIP URI like sip:user@host (got ${show(s)})`);
var efaNumberSchema = z2.strictObject({
  /** ≤ 24 dialable characters, `+` written `\+` (DVO-F-04). */
  number: dialable({}),
  partition: str().min(1, { error: "must name a partition" }),
  description: str().default(""),
  isDefault: bool().default(false)
});
var featureCodesSchema = z2.strictObject({
  hold: str().default("*81"),
  exclusiveHold: str().default("*82"),
  resume: str().default("*83"),
  transfer: str().default("*84"),
  conference: str().default("*85"),
  sessionHandoff: str().default("*74")
}).superRefine((codes, ctx) => {
  for (const p of checkFeatureCodes(codes)) ctx.addIssue({ code: "custom", path: [p.key], message: p.message });
});
var blockedNumbers = () => checkedString((s) => {
  for (const n of parseBlockedNumbers(s)) {
    if (!/^\+?[0-9*#A-D]+$/.test(n)) return `entry "${n}" is not a dialable digit string`;
  }
  return void 0;
});
var mobilityShape = {
  // --- per RD/MI defaults (§16 rows with scope "per RD/MI"), TMR-05: 0..60000, 0 = off (ATS/ATL)
  delayBeforeRingingMs: intRange(0, 6e4).default(4e3),
  answerTooSoonMs: intRange(0, 6e4).default(1500),
  answerTooLateMs: intRange(0, 6e4).default(19e3),
  snrVoicemailPolicy: oneOf(["useSystemDefault", "timerControl", "userControl"]).default("useSystemDefault"),
  // --- per user default
  maxWaitTimeForDeskPickupMs: intRange(0, 3e4).default(1e4),
  // --- system
  voicemailSelectionPolicy: oneOf(["timerControl", "userControl"]).default("timerControl"),
  userControlPromptDelayMs: intRange(0, 6e4).default(1e3),
  userControlDtmfWaitMs: intRange(1, 6e4).default(5e3),
  sessionHandoffAlertingTimerS: intRange(1, 300).default(10),
  callAwaitTimerS: intRange(5, 120).default(30),
  sessionResumptionAwaitTimerS: intRange(0, 300).default(180),
  forwardNoAnswerTimerS: intRange(1, 300).default(12),
  matchCallerIdWithRemoteDestination: oneOf(["complete", "partial"]).default("complete"),
  callerIdPartialMatchDigits: intRange(1, 24).default(10),
  inboundCssForRemoteDestination: oneOf(["trunkInboundCss", "profileAndLineCss"]).default("trunkInboundCss"),
  rerouteRemoteDestinationCallsToEnterpriseNumber: bool().default(false),
  ignoreCallForwardAllOnEnterpriseDn: bool().default(true),
  ringAllSharedLines: bool().default(true),
  enableMobileVoiceAccess: bool().default(false),
  enableEnterpriseFeatureAccess: bool().default(false),
  systemRemoteAccessBlockedNumbers: blockedNumbers().default(""),
  dvoForwardServiceAccessNumber: dialable({ allowEmpty: true }).default(""),
  efaNumbers: list(efaNumberSchema).default([]),
  mobilityFeatureCodes: featureCodesSchema.prefault({}),
  dtmfInterDigitTimeoutMs: intRange(500, 1e4).default(3e3),
  maxPinAttempts: intRange(1, 10).default(3),
  dvoAlternateCallbackRingTimeoutS: intRange(1, 300).default(45),
  passThroughFeatureDigits: bool().default(true),
  snrOverflowAction: oneOf(["voicemail", "deskOnly"]).default("voicemail"),
  snrOnCode: dialCode().default("*9501"),
  snrOffCode: dialCode().default("*9500"),
  snrStatusCode: dialCode().default("*9502"),
  /** Default `sip:*9503@<domain>`, filled in from `domain` when absent. */
  sendToMobileUri: sipUri().optional(),
  deskPickupCode: dialCode().default("*9504"),
  applyBlockedNumbersToDvo: bool().default(true),
  /** Default `sip:*9505@<domain>`, filled in from `domain` when absent. */
  handoutUri: sipUri().optional(),
  dvoCtrlAnswerOn: oneOf(["connect", "mobileLeg"]).default("connect"),
  srTriggerCauses: list(intRange(1, 127)).default([]),
  mvaDirectoryNumber: dialable({ allowBarePlus: true, allowEmpty: true }).default(""),
  /** Partition of the MVA number (§17 MvaConfig.partition). */
  mvaPartition: str().default(""),
  /** §17 MvaConfig.promptLocale (impl.). */
  mvaPromptLocale: str().default("en"),
  handoffNumber: dialable({ allowBarePlus: true, allowEmpty: true }).default(""),
  /** Partition of the handoff number (§17 HandoffConfig.partition). */
  handoffPartition: str().default(""),
  ivrInputTimeoutS: intRange(3, 60).default(10),
  pinLockoutThreshold: intRange(0, 100).default(10),
  pinLockoutDurationS: intRange(60, 86400).default(900)
};
var MOBILITY_KEYS = Object.keys(mobilityShape);
function checkMobility(m, ctx) {
  const efa = m.efaNumbers;
  if (efa.length > 1) {
    const defaults = efa.filter((e) => e.isDefault).length;
    if (defaults !== 1) {
      ctx.addIssue({ code: "custom", path: ["efaNumbers"], message: `exactly one EFA number must have isDefault: true (got ${defaults})` });
    }
  }
  const seen = /* @__PURE__ */ new Map();
  const claim = (value, path, label) => {
    if (value === "") return;
    const prev = seen.get(value);
    if (prev) ctx.addIssue({ code: "custom", path, message: `${label} "${value}" is already used by ${prev}` });
    else seen.set(value, path.join("."));
  };
  efa.forEach((e, i) => claim(unescapeDialable(e.number), ["efaNumbers", i, "number"], "number"));
  const handoff = unescapeDialable(m.handoffNumber);
  if (handoff !== "") {
    const clash = [
      ...efa.map((e) => ["an EFA number", unescapeDialable(e.number)]),
      ["dvoForwardServiceAccessNumber", unescapeDialable(m.dvoForwardServiceAccessNumber)],
      ["mvaDirectoryNumber", unescapeDialable(m.mvaDirectoryNumber)]
    ].find(([, v]) => v === handoff);
    if (clash) ctx.addIssue({ code: "custom", path: ["handoffNumber"], message: `must differ from ${clash[0]} (HOUT-05; both are "${handoff}")` });
  }
  const mva = unescapeDialable(m.mvaDirectoryNumber);
  if (mva !== "" && efa.some((e) => unescapeDialable(e.number) === mva)) {
    ctx.addIssue({ code: "custom", path: ["mvaDirectoryNumber"], message: `must differ from the EFA numbers ("${mva}")` });
  }
  if (m.mvaDirectoryNumber !== "" && m.mvaPartition === "") {
    ctx.addIssue({ code: "custom", path: ["mvaPartition"], message: "must name a partition when mvaDirectoryNumber is set" });
  }
  if (m.handoffNumber !== "" && m.handoffPartition === "") {
    ctx.addIssue({ code: "custom", path: ["handoffPartition"], message: "must name a partition when handoffNumber is set" });
  }
}
var mobilitySchema = z2.strictObject(mobilityShape).superRefine(checkMobility);
function withDomainDefaults(m, domain) {
  return {
    ...m,
    sendToMobileUri: m.sendToMobileUri ?? `sip:*9503@${domain}`,
    handoutUri: m.handoutUri ?? `sip:*9505@${domain}`
  };
}

// src/config/schema.ts
var TRANSPORTS = ["udp", "tcp", "tls", "ws", "wss"];
var listenerSchema = z3.strictObject({
  transport: oneOf(TRANSPORTS),
  host: nonEmpty("a host or IP address"),
  port: port(),
  tls: z3.strictObject({ cert: nonEmpty("a file path"), key: nonEmpty("a file path") }).optional(),
  /** HTTP path for ws/wss listeners. */
  path: str().optional(),
  /** Address (and port) to put in Via/Contact when bound to a wildcard or behind NAT. */
  advertisedHost: nonEmpty("a host or IP address").optional(),
  advertisedPort: port().optional()
}).superRefine((l, ctx) => {
  if ((l.transport === "tls" || l.transport === "wss") && !l.tls) {
    ctx.addIssue({ code: "custom", path: ["tls"], message: `is required for transport ${l.transport} ({cert, key})` });
  }
});
var sipSchema = z3.strictObject({
  listen: list(listenerSchema).min(1, { error: "needs at least one listener" }).default([
    { transport: "udp", host: "127.0.0.1", port: 5060 },
    { transport: "tcp", host: "127.0.0.1", port: 5060 }
  ]),
  timers: z3.strictObject({
    t1Ms: intRange(1, 6e4).default(500),
    t2Ms: intRange(1, 6e5).default(4e3),
    t4Ms: intRange(1, 6e5).default(5e3)
  }).prefault({}),
  maxMessageBytes: intRange(1024, 1048576).default(65535),
  sessionTimer: z3.strictObject({
    enabled: bool().default(true),
    sessionExpiresS: intRange(90, 86400).default(1800),
    minSeS: intRange(90, 86400).default(90)
  }).prefault({}).superRefine((st, ctx) => {
    if (st.minSeS > st.sessionExpiresS) {
      ctx.addIssue({ code: "custom", path: ["minSeS"], message: `must not exceed sessionExpiresS (${st.minSeS} > ${st.sessionExpiresS})` });
    }
  }),
  userAgent: str().default("mobility-anchor")
}).superRefine((s, ctx) => {
  const seen = /* @__PURE__ */ new Set();
  s.listen.forEach((l, i) => {
    const key2 = `${l.transport} ${l.host}:${l.port}`;
    if (seen.has(key2) && l.port !== 0) ctx.addIssue({ code: "custom", path: ["listen", i], message: `duplicate listener ${key2}` });
    seen.add(key2);
  });
  if (s.timers.t1Ms > s.timers.t2Ms) {
    ctx.addIssue({ code: "custom", path: ["timers", "t1Ms"], message: `must not exceed t2Ms (${s.timers.t1Ms} > ${s.timers.t2Ms})` });
  }
});
var rtpengineLaunchSchema = z3.strictObject({
  /** true: start /usr/bin/rtpengine as a child process; false: use one already running on host:ngPort. */
  launch: bool().default(true),
  binary: nonEmpty("a file path").default("/usr/bin/rtpengine"),
  host: nonEmpty("a host or IP address").default("127.0.0.1"),
  ngPort: intRange(1, 65535).default(22222),
  portMin: intRange(1024, 65535).default(3e4),
  portMax: intRange(1024, 65535).default(30999)
}).superRefine((r, ctx) => {
  if (r.portMin > r.portMax) ctx.addIssue({ code: "custom", path: ["portMin"], message: `must not exceed portMax (${r.portMin} > ${r.portMax})` });
});
var rtpengineExternalSchema = z3.strictObject({
  host: nonEmpty("a host or IP address"),
  port: intRange(1, 65535)
});
var mediaSchema = z3.strictObject({
  rtpengine: rtpengineLaunchSchema.optional(),
  rtpengines: list(rtpengineExternalSchema).min(1, { error: "needs at least one {host, port}" }).optional(),
  /** ng control protocol request timeout and retries (per engine, then fail over to the next). */
  ngTimeoutMs: intRange(50, 6e4).default(1e3),
  ngRetries: intRange(0, 10).default(2),
  /** false: signalling only, SDP passed through unchanged (no rtpengine commands). */
  anchor: bool().default(true)
}).superRefine((m, ctx) => {
  if (m.rtpengine && m.rtpengines) ctx.addIssue({ code: "custom", path: [], message: "set either rtpengine or rtpengines, not both" });
  if (!m.rtpengine && !m.rtpengines) ctx.addIssue({ code: "custom", path: [], message: "one of rtpengine or rtpengines is required" });
});
var LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
var rootShape = {
  /** SIP domain of the server (AORs, default sendToMobileUri/handoutUri, default auth realm). */
  domain: nonEmpty("a domain name or IP address").default("127.0.0.1"),
  sip: sipSchema.prefault({}),
  http: z3.strictObject({
    host: nonEmpty("a host or IP address").default("127.0.0.1"),
    port: port().default(8080)
  }).prefault({}),
  media: mediaSchema.prefault({ rtpengine: {} }),
  dataDir: nonEmpty("a directory path").default("./data"),
  log: z3.strictObject({ level: oneOf(LOG_LEVELS).default("info") }).prefault({}),
  overload: z3.strictObject({
    maxCallsInSetup: intRange(1, 1e6).default(2e3),
    maxCps: intRange(1, 1e5).default(2500),
    retryAfterS: intRange(0, 3600).default(5)
  }).prefault({}),
  auth: z3.strictObject({
    /** Digest realm; defaults to `domain`. */
    realm: nonEmpty("a realm").optional(),
    nonceTtlS: intRange(10, 86400).default(300),
    algorithms: list(oneOf(["SHA-256", "MD5"])).min(1, { error: "needs at least one algorithm" }).default(["MD5", "SHA-256"]),
    lockout: z3.strictObject({
      /** Failed digest attempts (per source address and username) within windowS before lockout; 0 = off. */
      threshold: intRange(0, 1e3).default(5),
      windowS: intRange(1, 86400).default(300),
      durationS: intRange(1, 86400).default(600)
    }).prefault({})
  }).prefault({}),
  registrar: z3.strictObject({
    minExpiresS: intMin(1).default(60),
    maxExpiresS: intMin(1).default(3600),
    defaultExpiresS: intMin(1).default(3600)
  }).prefault({}).superRefine((r, ctx) => {
    if (r.minExpiresS > r.maxExpiresS) ctx.addIssue({ code: "custom", path: ["minExpiresS"], message: `must not exceed maxExpiresS (${r.minExpiresS} > ${r.maxExpiresS})` });
    else if (r.defaultExpiresS < r.minExpiresS || r.defaultExpiresS > r.maxExpiresS) {
      ctx.addIssue({ code: "custom", path: ["defaultExpiresS"], message: `must be between minExpiresS and maxExpiresS (${r.minExpiresS}..${r.maxExpiresS}, got ${r.defaultExpiresS})` });
    }
  }),
  mobility: mobilitySchema.prefault({}),
  /** Provisioning documents (directory records, see config/example-trunk.yaml) applied at startup; create-or-update by id. */
  provisionFiles: list(nonEmpty("a file path")).default([])
};
var rootObject = z3.strictObject(rootShape);
var configSchema = rootObject.transform((c) => ({
  ...c,
  auth: { ...c.auth, realm: c.auth.realm ?? c.domain },
  mobility: withDomainDefaults(c.mobility, c.domain)
}));
function schemaDefaults() {
  return rootObject.parse({});
}

// src/config/errors.ts
var ConfigError = class extends Error {
  constructor(problems) {
    super(problems.map((p) => `config error: ${p}`).join("\n"));
    this.problems = problems;
    this.name = "ConfigError";
  }
  problems;
};
function valueAt(root, path) {
  let cur = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return void 0;
    cur = cur[k];
  }
  return cur;
}
function formatPath(path, prefix = "") {
  const parts2 = prefix ? [prefix] : [];
  for (const k of path) parts2.push(String(k));
  return parts2.length ? parts2.join(".") : "(root)";
}
function formatIssues(issues, input, prefix = "") {
  const out = [];
  for (const iss of issues) {
    const got = valueAt(input, iss.path);
    switch (iss.code) {
      case "unrecognized_keys":
        for (const k of iss.keys) out.push(`${formatPath([...iss.path, k], prefix)}: unknown key`);
        break;
      case "invalid_type":
        if (iss.message.startsWith("must")) out.push(`${formatPath(iss.path, prefix)}: ${iss.message}`);
        else out.push(`${formatPath(iss.path, prefix)}: must be ${iss.expected === "object" ? "a mapping" : `a ${iss.expected}`} (got ${show(got)})`);
        break;
      default:
        out.push(`${formatPath(iss.path, prefix)}: ${iss.message}`);
    }
  }
  return out;
}

// src/config/merge.ts
function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}
function deepMerge(base, layer) {
  if (layer === void 0) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(layer)) return structuredClone(layer);
  const out = structuredClone(base);
  for (const [k, v] of Object.entries(layer)) {
    if (v === void 0) continue;
    out[k] = k in out ? deepMerge(out[k], v) : structuredClone(v);
  }
  return out;
}
function mergeConfigLayer(base, layer) {
  if (isPlainObject(base) && isPlainObject(layer) && isPlainObject(layer.media) && isPlainObject(base.media)) {
    const lm = layer.media;
    const bm = { ...base.media };
    if ("rtpengines" in lm && !("rtpengine" in lm)) delete bm.rtpengine;
    if ("rtpengine" in lm && !("rtpengines" in lm)) delete bm.rtpengines;
    base = { ...base, media: bm };
  }
  return deepMerge(base, layer);
}

// src/config/env.ts
function parsePort(name, v, problems, min = 0) {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > 65535) {
    problems.push(`${name}: must be an integer between ${min} and 65535 (got "${v}")`);
    return void 0;
  }
  return Number(v);
}
function parseHostPortList(name, v, problems) {
  const out = [];
  for (const item of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(item);
    if (!m) {
      problems.push(`${name}: "${item}" is not host:port`);
      return void 0;
    }
    const port2 = parsePort(name, m[3], problems, 1);
    if (port2 === void 0) return void 0;
    out.push({ host: m[1] ?? m[2], port: port2 });
  }
  if (out.length === 0) {
    problems.push(`${name}: needs at least one host:port`);
    return void 0;
  }
  return out;
}
function applyEnvOverrides(cfg, env) {
  const problems = [];
  const get = (k) => {
    const v = env[k];
    return v === void 0 || v === "" ? void 0 : v;
  };
  const sip = isPlainObject(cfg.sip) ? cfg.sip : cfg.sip = {};
  const listeners = Array.isArray(sip.listen) ? sip.listen : [];
  const host = get("MA_SIP_HOST");
  if (host !== void 0) {
    for (const l of listeners) if (isPlainObject(l)) l.host = host;
  }
  const sipPort = get("MA_SIP_PORT");
  if (sipPort !== void 0) {
    const p = parsePort("MA_SIP_PORT", sipPort, problems);
    if (p !== void 0) {
      for (const l of listeners) if (isPlainObject(l) && (l.transport === "udp" || l.transport === "tcp")) l.port = p;
    }
  }
  const http2 = isPlainObject(cfg.http) ? cfg.http : cfg.http = {};
  const httpHost = get("MA_HTTP_HOST");
  if (httpHost !== void 0) http2.host = httpHost;
  const httpPort = get("MA_HTTP_PORT");
  if (httpPort !== void 0) {
    const p = parsePort("MA_HTTP_PORT", httpPort, problems);
    if (p !== void 0) http2.port = p;
  }
  const dataDir = get("MA_DATA_DIR");
  if (dataDir !== void 0) cfg.dataDir = dataDir;
  const level = get("MA_LOG_LEVEL");
  if (level !== void 0) {
    if (LOG_LEVELS.includes(level)) cfg.log = { ...isPlainObject(cfg.log) ? cfg.log : {}, level };
    else problems.push(`MA_LOG_LEVEL: must be one of ${LOG_LEVELS.join(", ")} (got "${level}")`);
  }
  const rtp = get("MA_RTPENGINE");
  if (rtp !== void 0) {
    const engines = parseHostPortList("MA_RTPENGINE", rtp, problems);
    if (engines) {
      const media = isPlainObject(cfg.media) ? { ...cfg.media } : {};
      delete media.rtpengine;
      media.rtpengines = engines;
      cfg.media = media;
    }
  }
  return problems;
}

// src/config/load.ts
function validateConfig(raw) {
  const r = configSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, raw));
  return r.data;
}
function buildFromLayers(layers, env) {
  let merged = schemaDefaults();
  for (const layer of layers) merged = mergeConfigLayer(merged, layer);
  if (env) {
    const problems = applyEnvOverrides(merged, env);
    if (problems.length) throw new ConfigError(problems);
  }
  return validateConfig(merged);
}
function buildConfig(partial = {}) {
  return buildFromLayers([partial]);
}
function defaultConfig() {
  return buildConfig({});
}

// src/config/service-parameters.ts
function resolveMobilityParameters(base, overrides, domain) {
  const merged = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (k === "mobilityFeatureCodes" && v && typeof v === "object" && !Array.isArray(v)) {
      merged[k] = { ...base.mobilityFeatureCodes, ...v };
    } else merged[k] = v;
  }
  const r = mobilitySchema.safeParse(merged);
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, merged, "mobility"));
  return withDomainDefaults(r.data, domain);
}

// src/server.ts
import { randomBytes as randomBytes9 } from "node:crypto";
import { mkdirSync as mkdirSync4 } from "node:fs";
import { join as join4 } from "node:path";
import { pino as pino2 } from "pino";

// src/api/app.ts
import Fastify from "fastify";
import { pino } from "pino";

// src/directory/migrate.ts
function runMigrations(db, component, migrations) {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (component, version)
  )`);
  const current = db.prepare("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = ?").get(component).v;
  if (current > migrations.length) {
    throw new Error(`${component} database is at schema version ${current}, newer than this program (${migrations.length})`);
  }
  const applied = [];
  const record = db.prepare("INSERT INTO schema_migrations (component, version) VALUES (?, ?)");
  for (let v = current + 1; v <= migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v - 1]);
      record.run(component, v);
    })();
    applied.push(v);
  }
  return applied;
}

// src/api/auth/accounts.ts
import { randomBytes as randomBytes2 } from "node:crypto";

// src/directory/errors.ts
var DirectoryError = class extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = "DirectoryError";
  }
  code;
};
var invalid = (msg) => new DirectoryError("invalid", msg);
var notFound = (what, id2) => new DirectoryError("not_found", `${what} "${id2}" not found`);
function guard(what, fn) {
  try {
    return fn();
  } catch (e) {
    const code = e.code ?? "";
    if (e instanceof DirectoryError) throw e;
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      throw new DirectoryError("conflict", `${what}: already exists (${e.message.replace(/^UNIQUE constraint failed: /, "")})`);
    }
    if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
      throw new DirectoryError("in_use", `${what}: refers to a missing record, or is still referenced by another record`);
    }
    if (code === "SQLITE_CONSTRAINT_CHECK" || code === "SQLITE_CONSTRAINT_NOTNULL") {
      throw new DirectoryError("invalid", `${what}: ${e.message}`);
    }
    throw e;
  }
}

// src/api/errors.ts
var STATUS = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  in_use: 409,
  unauthenticated: 401,
  forbidden: 403,
  csrf: 403,
  rate_limited: 429,
  store_unavailable: 503,
  unsupported_media_type: 415,
  internal: 500
};
var ApiError = class extends Error {
  constructor(code, message, issues = []) {
    super(message);
    this.code = code;
    this.issues = issues;
    this.name = "ApiError";
    this.status = STATUS[code];
  }
  code;
  issues;
  status;
  get field() {
    return this.issues[0]?.field;
  }
  toJSON() {
    return {
      error: this.code,
      message: this.message,
      ...this.field !== void 0 ? { field: this.field } : {},
      ...this.issues.length > 0 ? { issues: this.issues } : {}
    };
  }
};
function splitFieldMessage(line2) {
  const m = /^([A-Za-z_][\w.[\]-]*): (.*)$/s.exec(line2);
  if (!m) return void 0;
  return { field: m[1].replace(/^mobility\./, ""), message: m[2] };
}
function fromZod(error, input, prefix = "") {
  const lines = formatIssues(error.issues, input, prefix);
  const issues = lines.map((l) => splitFieldMessage(l) ?? { field: prefix || "(root)", message: l });
  return new ApiError("invalid", lines[0] ?? "invalid input", issues);
}
var STORE_CODES = /^SQLITE_(READONLY|BUSY|LOCKED|FULL|IOERR|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;
function toApiError(e) {
  if (e instanceof ApiError) return e;
  if (e instanceof DirectoryError) {
    const issues = e.message.split("; ").map((p) => splitFieldMessage(p)).filter((x) => x !== void 0);
    return new ApiError(e.code, e.message.replace(/(^|; )mobility\./g, "$1"), issues);
  }
  const code = e.code;
  if (typeof code === "string" && STORE_CODES.test(code)) {
    return new ApiError("store_unavailable", `the configuration store cannot be written (${code}); nothing was changed`);
  }
  return new ApiError("internal", "internal error");
}

// src/api/auth/passwords.ts
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
var N = 1 << 14;
var R = 8;
var P = 1;
var KEYLEN = 32;
var MAXMEM = 128 * 1024 * 1024;
var MIN_PASSWORD_LENGTH = 8;
var MAX_PASSWORD_LENGTH = 256;
function scryptAsync(password2, salt, n, r, p, keylen) {
  return new Promise((resolve2, reject) => {
    scrypt(password2, salt, keylen, { N: n, r, p, maxmem: MAXMEM }, (err, key2) => err ? reject(err) : resolve2(key2));
  });
}
async function hashPassword(password2) {
  const salt = randomBytes(16);
  const key2 = await scryptAsync(password2, salt, N, R, P, KEYLEN);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key2.toString("base64")}`;
}
async function verifyPassword(password2, stored) {
  const [alg, n, r, p, salt, key2] = stored.split("$");
  if (alg !== "scrypt" || !n || !r || !p || !salt || !key2) return false;
  const expected = Buffer.from(key2, "base64");
  try {
    const got = await scryptAsync(password2, Buffer.from(salt, "base64"), Number(n), Number(r), Number(p), expected.length);
    return got.length === expected.length && timingSafeEqual(got, expected);
  } catch {
    return false;
  }
}
var dummy;
function dummyHash() {
  return dummy ??= hashPassword(randomBytes(16).toString("hex"));
}
function randomSecret(bytes = 32) {
  return randomBytes(bytes).toString("base64url");
}
function sha256(s) {
  return createHash("sha256").update(s, "utf8").digest("hex");
}
function passwordProblem(password2) {
  if (password2.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password2.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return void 0;
}

// src/api/auth/accounts.ts
var toAccount = (r) => ({ username: r.username, role: r.role, userId: r.user_id, createdAt: r.created_at, updatedAt: r.updated_at });
var USERNAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;
var AccountStore = class {
  constructor(db, sessionTtlMs = 8 * 36e5) {
    this.db = db;
    this.sessionTtlMs = sessionTtlMs;
  }
  db;
  sessionTtlMs;
  get(username) {
    const r = this.db.prepare("SELECT * FROM api_accounts WHERE username = ?").get(username);
    return r ? toAccount(r) : void 0;
  }
  byUserId(userId) {
    const r = this.db.prepare("SELECT * FROM api_accounts WHERE user_id = ?").get(userId);
    return r ? toAccount(r) : void 0;
  }
  list() {
    return this.db.prepare("SELECT * FROM api_accounts ORDER BY username").all().map(toAccount);
  }
  countAdmins() {
    return this.db.prepare("SELECT COUNT(*) AS n FROM api_accounts WHERE role = 'admin'").get().n;
  }
  /** Creates an account (the password already hashed: hashing is async, writes are not). */
  create(a) {
    if (!USERNAME_RE.test(a.username)) throw new ApiError("invalid", "username: 1 to 64 of A-Z a-z 0-9 . _ @ -", [{ field: "username", message: "1 to 64 of A-Z a-z 0-9 . _ @ -" }]);
    const userId = a.role === "user" ? a.userId ?? null : null;
    if (a.role === "user" && userId === null) throw new ApiError("invalid", "userId: required for an end-user account", [{ field: "userId", message: "required for an end-user account" }]);
    if (userId !== null && this.db.prepare("SELECT 1 FROM users WHERE user_id = ?").get(userId) === void 0) {
      throw new ApiError("invalid", `userId: "${userId}" does not exist`, [{ field: "userId", message: `"${userId}" does not exist` }]);
    }
    if (this.get(a.username)) throw new ApiError("conflict", `account "${a.username}" already exists`);
    if (userId !== null && this.byUserId(userId)) throw new ApiError("conflict", `user "${userId}" already has an account ("${this.byUserId(userId).username}")`);
    const now = (/* @__PURE__ */ new Date()).toISOString();
    this.db.prepare("INSERT INTO api_accounts (username, role, user_id, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)").run(a.username, a.role, userId, a.passwordHash, now, now);
    return this.get(a.username);
  }
  /** New password: every session and token of the account is revoked. */
  setPasswordHash(username, passwordHash) {
    const n = this.db.prepare("UPDATE api_accounts SET password_hash = ?, updated_at = ? WHERE username = ?").run(passwordHash, (/* @__PURE__ */ new Date()).toISOString(), username).changes;
    if (n === 0) throw new ApiError("not_found", `account "${username}" not found`);
    this.db.prepare("DELETE FROM api_sessions WHERE username = ?").run(username);
  }
  delete(username) {
    return this.db.prepare("DELETE FROM api_accounts WHERE username = ?").run(username).changes > 0;
  }
  /** The account if the password is right (same cost whether or not the account exists). */
  async verify(username, password2) {
    const r = this.db.prepare("SELECT * FROM api_accounts WHERE username = ?").get(username);
    const ok = await verifyPassword(password2, r?.password_hash ?? await dummyHash());
    return r && ok ? toAccount(r) : void 0;
  }
  // ---- sessions ----------------------------------------------------------------------------
  createSession(username, now = Date.now()) {
    const id2 = randomSecret();
    const csrfToken = randomSecret(24);
    const expiresAt = now + this.sessionTtlMs;
    this.db.prepare("DELETE FROM api_sessions WHERE expires_at <= ?").run(now);
    this.db.prepare("INSERT INTO api_sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(sha256(id2), username, csrfToken, now, expiresAt);
    return { id: id2, csrfToken, expiresAt };
  }
  session(id2, now = Date.now()) {
    const s = this.db.prepare("SELECT username, csrf_token, expires_at FROM api_sessions WHERE id_hash = ?").get(sha256(id2));
    if (!s || s.expires_at <= now) return void 0;
    const account = this.get(s.username);
    return account ? { account, csrfToken: s.csrf_token, expiresAt: s.expires_at } : void 0;
  }
  deleteSession(id2) {
    this.db.prepare("DELETE FROM api_sessions WHERE id_hash = ?").run(sha256(id2));
  }
  // ---- tokens ------------------------------------------------------------------------------
  /** Returns the token text once; only its hash is kept. */
  createToken(username, name = "") {
    if (!this.get(username)) throw new ApiError("not_found", `account "${username}" not found`);
    const id2 = randomBytes2(6).toString("hex");
    const secret = randomSecret();
    const now = (/* @__PURE__ */ new Date()).toISOString();
    this.db.prepare("INSERT INTO api_tokens (id, secret_hash, username, name, created_at) VALUES (?, ?, ?, ?, ?)").run(id2, sha256(secret), username, name, now);
    return { token: `ma_${id2}_${secret}`, info: { id: id2, username, name, createdAt: now, lastUsedAt: null } };
  }
  verifyToken(token) {
    const m = /^ma_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$/.exec(token);
    if (!m) return void 0;
    const r = this.db.prepare("SELECT username, secret_hash FROM api_tokens WHERE id = ?").get(m[1]);
    if (!r) return void 0;
    const a = Buffer.from(sha256(m[2]), "hex");
    const b = Buffer.from(r.secret_hash, "hex");
    if (a.length !== b.length || !a.equals(b)) return void 0;
    try {
      this.db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run((/* @__PURE__ */ new Date()).toISOString(), m[1]);
    } catch {
    }
    return this.get(r.username);
  }
  listTokens(username) {
    const rows = username === void 0 ? this.db.prepare("SELECT * FROM api_tokens ORDER BY created_at").all() : this.db.prepare("SELECT * FROM api_tokens WHERE username = ? ORDER BY created_at").all(username);
    return rows.map((r) => ({ id: r.id, username: r.username, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
  }
  getToken(id2) {
    return this.listTokens().find((t) => t.id === id2);
  }
  deleteToken(id2) {
    return this.db.prepare("DELETE FROM api_tokens WHERE id = ?").run(id2).changes > 0;
  }
};

// src/api/auth/guard.ts
var SESSION_COOKIE = "ma_session";
function parseCookies(header) {
  const out = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (!(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}
function actorOf(account, via, ip) {
  return { username: account.username, role: account.role, via, ...ip !== void 0 ? { ip } : {}, userId: account.userId };
}
var SAFE = /* @__PURE__ */ new Set(["GET", "HEAD", "OPTIONS"]);
function authenticate(req, accounts, localActor) {
  const authz = req.headers.authorization;
  if (authz !== void 0) {
    const m = /^Bearer\s+(\S+)$/i.exec(authz);
    const account = m ? accounts.verifyToken(m[1]) : void 0;
    if (!account) throw new ApiError("unauthenticated", "invalid or revoked API token");
    return { actor: actorOf(account, "token", req.ip) };
  }
  const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (sid !== void 0 && sid !== "") {
    const s = accounts.session(sid);
    if (s) {
      if (!SAFE.has(req.method)) checkCsrf(req, s.csrfToken);
      return { actor: actorOf(s.account, "session", req.ip), csrfToken: s.csrfToken, sessionId: sid };
    }
  }
  if (localActor) return { actor: localActor };
  return void 0;
}
function checkCsrf(req, expected) {
  const origin = req.headers.origin;
  if (origin !== void 0 && origin !== "null") {
    let host;
    try {
      host = new URL(origin).host;
    } catch {
      host = void 0;
    }
    if (host !== req.headers.host) throw new ApiError("csrf", `cross-origin request refused (Origin ${origin})`);
  }
  const got = req.headers["x-csrf-token"];
  if (typeof got !== "string" || got !== expected) throw new ApiError("csrf", "missing or wrong X-CSRF-Token header (get it from GET /api/v1/auth/session)");
}
var LoginThrottle = class {
  constructor(threshold = 10, windowMs = 10 * 6e4, durationMs2 = 5 * 6e4) {
    this.threshold = threshold;
    this.windowMs = windowMs;
    this.durationMs = durationMs2;
  }
  threshold;
  windowMs;
  durationMs;
  failures = /* @__PURE__ */ new Map();
  lockedFor(keys, now = Date.now()) {
    let ms = 0;
    for (const k of keys) {
      const f = this.failures.get(k);
      if (f && f.lockedUntil > now) ms = Math.max(ms, f.lockedUntil - now);
    }
    return ms;
  }
  fail(keys, now = Date.now()) {
    for (const k of keys) {
      let f = this.failures.get(k);
      if (!f || now - f.first > this.windowMs) f = { count: 0, first: now, lockedUntil: 0 };
      f.count++;
      if (f.count >= (k.startsWith("ip:") ? this.threshold * 5 : this.threshold)) f.lockedUntil = now + this.durationMs;
      this.failures.set(k, f);
    }
    if (this.failures.size > 1e4) {
      for (const [k, f] of this.failures) if (now - f.first > this.windowMs && f.lockedUntil < now) this.failures.delete(k);
    }
  }
  succeed(keys) {
    for (const k of keys) this.failures.delete(k);
  }
};

// src/api/migrations.ts
var API_COMPONENT = "api";
var API_MIGRATIONS = [
  // 1: accounts, sessions, tokens, audit log
  `
  CREATE TABLE api_accounts (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    -- An end user's login is tied to the EndUser it may manage (and goes away with it).
    user_id TEXT UNIQUE REFERENCES users(user_id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((role = 'user') = (user_id IS NOT NULL))
  );

  -- Browser sessions: only a hash of the cookie value is stored.
  CREATE TABLE api_sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES api_accounts(username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX api_sessions_username ON api_sessions(username);

  -- Bearer tokens for scripts: "ma_<id>_<secret>", only a hash of the secret is stored.
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    username TEXT NOT NULL REFERENCES api_accounts(username) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE INDEX api_tokens_username ON api_tokens(username);

  -- Who changed what, when. Written in the same transaction as the change it records;
  -- failed attempts are recorded too (ok = 0).
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    via TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    ok INTEGER NOT NULL,
    detail TEXT
  );
  CREATE INDEX audit_log_at ON audit_log(at);
  `
];

// src/api/openapi.ts
import { z as z4 } from "zod";
function jsonSchema(s, io) {
  if (!(s instanceof z4.ZodType)) return s;
  const out = z4.toJSONSchema(s, { io, unrepresentable: "any" });
  delete out.$schema;
  return out;
}
var ERROR_SCHEMA = {
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string", description: "invalid | not_found | conflict | in_use | unauthenticated | forbidden | csrf | rate_limited | store_unavailable | internal" },
    message: { type: "string" },
    field: { type: "string", description: "key path of the first invalid field" },
    issues: { type: "array", items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } } }
  }
};
function openApiDocument(routes, info) {
  const paths = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const params = [...r.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    if (r.query) {
      const qs = jsonSchema(r.query, "input");
      for (const [name, schema] of Object.entries(qs.properties ?? {})) {
        params.push({ name, in: "query", required: (qs.required ?? []).includes(name), schema });
      }
    }
    const op = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c) => c ? c.toUpperCase() : "")}`,
      ...params.length ? { parameters: params } : {},
      security: r.access === "public" ? [] : [{ cookieSession: [] }, { bearerToken: [] }],
      "x-access": r.access,
      responses: {
        [String(r.status)]: {
          description: r.response?.description ?? "OK",
          ...r.response?.schema ? { content: { [r.response.contentType ?? "application/json"]: { schema: jsonSchema(r.response.schema, "output") } } } : {}
        },
        "400": { description: "Invalid input: `field` names the offending key", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        ...r.access !== "public" ? {
          "401": { description: "Not authenticated", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
          "403": { description: "Not allowed for this role, or CSRF check failed", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }
        } : {}
      }
    };
    if (r.body) {
      const content = { "application/json": { schema: jsonSchema(r.body, "input") } };
      for (const ct of r.consumes ?? []) content[ct] = { schema: { type: "string" } };
      op.requestBody = { required: true, content };
    } else if (r.consumes) {
      op.requestBody = { required: true, content: Object.fromEntries(r.consumes.map((ct) => [ct, { schema: ct.includes("json") ? { type: "object" } : { type: "string" } }])) };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      ...info,
      description: "Provisioning and self-care API of the mobility anchor server (spec \xA717.1 entities, \xA716 service parameters). Authenticate with POST /api/v1/auth/login (cookie session; unsafe methods then need X-CSRF-Token) or an API token (Authorization: Bearer ma_\u2026)."
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      securitySchemes: {
        cookieSession: { type: "apiKey", in: "cookie", name: "ma_session" },
        bearerToken: { type: "http", scheme: "bearer" }
      }
    }
  };
}

// src/api/route.ts
import { z as z5 } from "zod";
var ANON = { username: "anonymous", role: "user", via: "none", userId: null };
var Routes = class {
  constructor(app, authOf) {
    this.app = app;
    this.authOf = authOf;
  }
  app;
  authOf;
  documented = [];
  add(spec) {
    const status = spec.status ?? 200;
    this.documented.push({
      method: spec.method,
      url: spec.url,
      summary: spec.summary,
      tag: spec.tag,
      access: spec.access,
      ...spec.body ? { body: spec.body } : {},
      ...spec.query ? { query: spec.query } : {},
      status,
      ...spec.response ? { response: spec.response } : {},
      ...spec.consumes ? { consumes: spec.consumes } : {}
    });
    this.app.route({
      method: spec.method,
      url: spec.url,
      handler: async (req, reply) => {
        const auth = this.authOf(req);
        if (spec.access !== "public") {
          if (!auth) throw new ApiError("unauthenticated", "log in first (session cookie) or send Authorization: Bearer <token>");
          if (spec.access === "admin" && auth.actor.role !== "admin") throw new ApiError("forbidden", "administrators only");
        }
        let body = void 0;
        if (spec.body) {
          const input = req.body ?? {};
          const r = spec.body.safeParse(input);
          if (!r.success) throw fromZod(r.error, input);
          body = r.data;
        }
        let query = {};
        if (spec.query) {
          const r = spec.query.safeParse(req.query ?? {});
          if (!r.success) throw fromZod(r.error, req.query);
          query = r.data;
        }
        const out = await spec.handler({
          req,
          reply,
          actor: auth?.actor ?? ANON,
          auth,
          params: req.params ?? {},
          query,
          body
        });
        if (reply.sent) return reply;
        reply.code(status);
        if (out === void 0) return reply.send();
        return reply.send(out);
      }
    });
  }
};
var qInt = (min, max) => z5.coerce.number().int().min(min).max(max);
var qBool = () => z5.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

// src/api/audit.ts
var SECRET_KEYS = /^(pin|newPin|currentPin|password|newPassword|currentPassword|webPassword|sipPassword|token|ha1Md5|ha1Sha256)$/;
function redactSecrets(v, depth = 0) {
  if (depth > 8 || v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.length > 200 ? `[${v.length} items]` : v.map((x) => redactSecrets(x, depth + 1));
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) && x !== null && x !== void 0 ? "***" : redactSecrets(x, depth + 1);
  return out;
}
var AuditLog = class {
  constructor(db, log) {
    this.db = db;
    this.log = log;
  }
  db;
  log;
  record(actor, e) {
    const at = (/* @__PURE__ */ new Date()).toISOString();
    const detail = e.detail === void 0 ? null : JSON.stringify(redactSecrets(e.detail));
    this.log.info(
      { audit: { actor: actor.username, role: actor.role, via: actor.via, ip: actor.ip, action: e.action, entity: e.entity, entityId: e.entityId ?? null, ok: e.ok } },
      "audit"
    );
    this.db.prepare("INSERT INTO audit_log (at, actor, role, via, ip, action, entity, entity_id, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(at, actor.username, actor.role, actor.via, actor.ip ?? null, e.action, e.entity, e.entityId ?? null, e.ok ? 1 : 0, detail);
  }
  /** Records a failed attempt outside any transaction; a store that cannot be written only gets the pino line. */
  recordFailure(actor, e) {
    try {
      this.record(actor, { ...e, ok: false, detail: { ...typeof e.detail === "object" && e.detail !== null ? e.detail : {}, error: e.error } });
    } catch (err) {
      this.log.warn({ err: err.message, action: e.action, entity: e.entity }, "audit record of a failed write could not be stored");
    }
  }
  list(q = {}) {
    const where = [];
    const args = [];
    if (q.before !== void 0) where.push("id < ?"), args.push(q.before);
    if (q.actor !== void 0) where.push("actor = ?"), args.push(q.actor);
    if (q.entity !== void 0) where.push("entity = ?"), args.push(q.entity);
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    args.push(Math.min(Math.max(q.limit ?? 100, 1), 1e3));
    const rows = this.db.prepare(sql).all(...args);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      role: r.role,
      via: r.via,
      ip: r.ip,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      ok: r.ok === 1,
      detail: r.detail === null ? null : JSON.parse(r.detail)
    }));
  }
};

// src/api/schemas.ts
import { z as z6 } from "zod";

// src/directory/caller-id-match.ts
function normaliseNumber(n) {
  const s = n.trim().replace(/[\s\-.()]/g, "");
  if (s === "" || /[@:]/.test(s) || !/^\+?[0-9*#]+$/.test(s) || !/[0-9]/.test(s)) return null;
  return s;
}
function digitsOnly(n) {
  return n.replace(/[^0-9]/g, "");
}
function numbersMatch(calling, stored, opts) {
  const a = normaliseNumber(calling);
  const b = normaliseNumber(stored);
  if (a === null || b === null) return false;
  if (opts.mode === "partial") {
    const da = digitsOnly(a);
    const db = digitsOnly(b);
    if (da.length >= opts.digits && db.length >= opts.digits) return da.slice(-opts.digits) === db.slice(-opts.digits);
  }
  return a === b;
}
function toResult(hits) {
  if (hits.length === 1) return { kind: "unique", value: hits[0] };
  if (hits.length === 0) return { kind: "none" };
  return { kind: "ambiguous", values: [...hits] };
}
var CallerIdIndex = class _CallerIdIndex {
  constructor(opts) {
    this.opts = opts;
  }
  opts;
  full = /* @__PURE__ */ new Map();
  lastN = /* @__PURE__ */ new Map();
  entries = [];
  static build(entries, opts) {
    const idx = new _CallerIdIndex(opts);
    for (const e of entries) idx.add(e.number, e.value);
    return idx;
  }
  get options() {
    return this.opts;
  }
  add(number, value) {
    const n = normaliseNumber(number);
    if (n === null) return;
    this.entries.push({ number, value });
    push(this.full, n, value);
    const d = digitsOnly(n);
    if (d.length >= this.opts.digits) push(this.lastN, d.slice(-this.opts.digits), value);
  }
  reindex(opts) {
    const entries = this.entries.splice(0);
    this.full.clear();
    this.lastN.clear();
    this.opts = opts;
    for (const e of entries) this.add(e.number, e.value);
  }
  /** All stored values whose number matches `calling` (CID-02/03, D-04). */
  matches(calling, mode = this.opts.mode) {
    const n = normaliseNumber(calling);
    if (n === null) return [];
    if (mode === "partial") {
      const d = digitsOnly(n);
      if (d.length >= this.opts.digits) return this.lastN.get(d.slice(-this.opts.digits)) ?? [];
    }
    return this.full.get(n) ?? [];
  }
  /** CID-04: exactly one match. */
  lookup(calling, mode = this.opts.mode) {
    return toResult(this.matches(calling, mode));
  }
};
function push(m, k, v) {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
function checkRemoteDestinationNumber(number, existing, opts) {
  const errors = [];
  const warnings = [];
  const n = normaliseNumber(number);
  if (n === null) {
    if (!/^sips?:[^@\s]+@[^@\s]+$/i.test(number.trim())) errors.push(`"${number}" is neither a dialable number nor a SIP URI`);
    else warnings.push(`"${number}" is a SIP URI: calls from it can never be matched by caller ID`);
    return { errors, warnings };
  }
  const d = digitsOnly(n);
  for (const e of existing) {
    const en = normaliseNumber(e.number);
    if (en === null) continue;
    if (en === n) errors.push(`number ${n} already exists (${e.id})`);
    else if (opts.mode === "partial") {
      const ed = digitsOnly(en);
      if (d.length >= opts.digits && ed.length >= opts.digits && d.slice(-opts.digits) === ed.slice(-opts.digits)) {
        warnings.push(`the last ${opts.digits} digits of ${n} equal those of ${e.id} (${e.number}): partial matching cannot tell them apart`);
      }
    }
  }
  if (opts.mode === "complete" && !n.startsWith("+")) {
    warnings.push(
      `${n} is not in +E.164 form and may contain steering digits: with complete matching, inbound calls (globalised to +E.164) can never match it`
    );
  }
  return { errors, warnings };
}

// src/directory/pattern.ts
var PatternError = class extends Error {
  constructor(pattern, reason) {
    super(`invalid pattern "${pattern}": ${reason}`);
    this.pattern = pattern;
    this.name = "PatternError";
  }
  pattern;
};
var cache = /* @__PURE__ */ new Map();
function esc(c) {
  return c.replace(/[\\^$.*+?()[\]{}|#]/g, "\\$&");
}
function parseClass(p, start) {
  const close = p.indexOf("]", start);
  if (close < 0) throw new PatternError(p, `unclosed "[" at position ${start + 1}`);
  let body = p.slice(start + 1, close);
  const negate = body.startsWith("^");
  if (negate) body = body.slice(1);
  if (body === "") throw new PatternError(p, "empty [] class");
  const set = /* @__PURE__ */ new Set();
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (!/[0-9]/.test(c)) throw new PatternError(p, `"[${body}]" may contain only digits and ranges`);
    if (body[i + 1] === "-") {
      const to = body[i + 2];
      if (to === void 0 || !/[0-9]/.test(to) || to < c) throw new PatternError(p, `bad range in "[${body}]"`);
      for (let d = c.charCodeAt(0); d <= to.charCodeAt(0); d++) set.add(String.fromCharCode(d));
      i += 2;
    } else set.add(c);
  }
  const digits = negate ? [..."0123456789"].filter((d) => !set.has(d)) : [...set].sort();
  if (digits.length === 0) throw new PatternError(p, `"[${body}]" matches nothing`);
  return { re: `[${digits.join("")}]`, size: digits.length, end: close };
}
function compilePattern(p) {
  const hit = cache.get(p);
  if (hit) return hit;
  if (p === "") throw new PatternError(p, "empty");
  let pre = "";
  let post = "";
  let dotSeen = false;
  let literal = "";
  let wildcard = false;
  let bangs = 0;
  let fixed = 0;
  let alts = 1n;
  const emit = (re) => {
    if (dotSeen) post += re;
    else pre += re;
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      if (p[i + 1] !== "+") throw new PatternError(p, '"\\" may only escape "+"');
      emit("\\+");
      literal += "+";
      fixed++;
      i++;
    } else if (c === ".") {
      if (dotSeen) throw new PatternError(p, 'more than one "."');
      dotSeen = true;
    } else if (c === "X" || c === "x") {
      emit("[0-9]");
      wildcard = true;
      fixed++;
      alts *= 10n;
    } else if (c === "!") {
      emit("[0-9]+");
      wildcard = true;
      bangs++;
    } else if (c === "[") {
      const cls = parseClass(p, i);
      emit(cls.re);
      wildcard = true;
      fixed++;
      alts *= BigInt(cls.size);
      i = cls.end;
    } else if (/[0-9*#A-D]/.test(c)) {
      emit(esc(c));
      literal += c;
      fixed++;
    } else if (c === "+") {
      throw new PatternError(p, 'write a literal "+" as "\\+"');
    } else {
      throw new PatternError(p, `unsupported character "${c}"`);
    }
  }
  if (fixed === 0 && bangs === 0) throw new PatternError(p, "matches nothing");
  const compiled = {
    source: p,
    regex: new RegExp(`^(${pre})${post}$`),
    exact: wildcard ? null : literal,
    bangs,
    fixedElements: fixed,
    fixedAlternatives: alts
  };
  cache.set(p, compiled);
  return compiled;
}
function validatePattern(p) {
  try {
    compilePattern(p);
    return void 0;
  } catch (e) {
    return e.message;
  }
}
function matchPattern(c, dialed) {
  const m = c.regex.exec(dialed);
  if (!m) return null;
  const preDot = m[1];
  const bangDigits = dialed.length - c.fixedElements;
  const alternatives = c.bangs > 0 ? c.fixedAlternatives * 10n ** BigInt(bangDigits) : c.fixedAlternatives;
  return { alternatives, variable: c.bangs > 0, preDot, postDot: dialed.slice(preDot.length) };
}
function literalPattern(number) {
  return number.replace(/\+/g, "\\+");
}

// src/directory/numbers.ts
var ruleCache = /* @__PURE__ */ new WeakMap();
function compileMatch(match) {
  if (match.length >= 2 && match.startsWith("/") && match.endsWith("/")) {
    const regex = new RegExp(match.slice(1, -1));
    return { test: (n) => regex.test(n), regex };
  }
  const p = compilePattern(match);
  return { test: (n) => p.regex.test(n) };
}
function compileRules(rules) {
  let c = ruleCache.get(rules);
  if (!c) {
    c = rules.map((rule) => ({ rule, ...compileMatch(rule.match) }));
    ruleCache.set(rules, c);
  }
  return c;
}
function applyOne(c, n) {
  const r = c.rule;
  if (r.replace !== void 0) return c.regex ? n.replace(c.regex, r.replace) : r.replace;
  return (r.prefix ?? "") + n.slice(Math.max(0, r.strip ?? 0));
}
function applyNumberRules(number, rules, field) {
  let n = number;
  for (const c of compileRules(rules)) {
    const applies = c.rule.applyTo ?? "both";
    if (applies !== "both" && applies !== field) continue;
    if (!c.test(n)) continue;
    n = applyOne(c, n);
    if (!c.rule.continue) break;
  }
  return n;
}
function globalise(number, rules, field = "calling") {
  return applyNumberRules(number, rules, field);
}
function localise(number, rules, field = "called") {
  return applyNumberRules(number, rules, field);
}
function validateNumberRules(rules, what = "rules") {
  if (!Array.isArray(rules)) return [`${what}: must be a list`];
  const problems = [];
  rules.forEach((r, i) => {
    const at = `${what}[${i}]`;
    if (r === null || typeof r !== "object" || Array.isArray(r)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const rule = r;
    for (const k of Object.keys(rule)) {
      if (!["match", "strip", "prefix", "replace", "applyTo", "continue", "description"].includes(k)) problems.push(`${at}.${k}: unknown key`);
    }
    if (typeof rule.match !== "string" || rule.match === "") problems.push(`${at}.match: must be a non-empty string`);
    else {
      try {
        compileMatch(rule.match);
      } catch (e) {
        problems.push(`${at}.match: ${e.message}`);
      }
    }
    if (rule.strip !== void 0 && !(Number.isInteger(rule.strip) && rule.strip >= 0)) problems.push(`${at}.strip: must be an integer \u2265 0`);
    for (const k of ["prefix", "replace", "description"]) {
      if (rule[k] !== void 0 && typeof rule[k] !== "string") problems.push(`${at}.${k}: must be a string`);
    }
    if (rule.applyTo !== void 0 && !["calling", "called", "both"].includes(rule.applyTo)) {
      problems.push(`${at}.applyTo: must be calling, called or both`);
    }
    if (rule.continue !== void 0 && typeof rule.continue !== "boolean") problems.push(`${at}.continue: must be true or false`);
  });
  return problems;
}

// src/api/schemas.ts
var id = () => nonEmpty("a non-empty id").max(128, { error: "must be at most 128 characters" });
var ref = () => nonEmpty("the id of an existing record");
var nullableRef = () => ref().nullable();
var text = () => str().max(256, { error: "must be at most 256 characters" });
var dialString = () => checkedString((s) => /^\+?[0-9*#]{1,32}$/.test(s) ? void 0 : `must be 1 to 32 of 0-9 * # with an optional leading + (got ${show(s)})`);
var rdNumber = () => checkedString((s) => {
  if (/^sips?:[^\s@]+@[^\s@]+$/i.test(s.trim())) return void 0;
  const n = normaliseNumber(s);
  if (n === null || n.replace(/^\+/, "").length > 32) return `must be dialable digits (optional leading +) or a SIP URI like sip:user@host (got ${show(s)})`;
  return void 0;
});
var efaDialable = () => checkedString((s) => {
  const r = parseDialable(s, {});
  return r.ok ? void 0 : r.reason;
});
var pin = () => checkedString((s) => /^[0-9]{1,32}$/.test(s) ? void 0 : "must be 1 to 32 digits");
var password = () => str().min(MIN_PASSWORD_LENGTH, { error: `must be at least ${MIN_PASSWORD_LENGTH} characters` }).max(MAX_PASSWORD_LENGTH, { error: `must be at most ${MAX_PASSWORD_LENGTH} characters` });
var timeZone = () => checkedString((s) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: s });
    return void 0;
  } catch {
    return `unknown time zone ${show(s)}`;
  }
});
var rdTimer = () => intRange(0, 6e4);
var hhmm = () => checkedString((s) => /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/.test(s) ? void 0 : `must be HH:MM (got ${show(s)})`);
var numberRule = z6.strictObject({
  match: nonEmpty(),
  strip: intRange(0, 64).optional(),
  prefix: str().optional(),
  replace: str().optional(),
  applyTo: oneOf(["calling", "called", "both"]).optional(),
  continue: bool().optional(),
  description: str().optional()
});
var numberRules = (field) => list(numberRule).superRefine((rules, ctx) => {
  for (const p of validateNumberRules(rules, field)) {
    const m = /^\w+\[(\d+)\]\.?(\w*): (.*)$/.exec(p);
    if (m) ctx.addIssue({ code: "custom", path: m[2] ? [Number(m[1]), m[2]] : [Number(m[1])], message: m[3] });
    else ctx.addIssue({ code: "custom", message: p });
  }
});
var gateway = { peerHost: nonEmpty("a host or IP address"), port: intRange(1, 65535), transport: oneOf(["udp", "tcp", "tls"]) };
function optionalShape(shape, omit = []) {
  const out = {};
  for (const [k, v] of Object.entries(shape)) if (!omit.includes(k)) out[k] = v.optional();
  return out;
}
function entity(required, optional, patchOmit, extras) {
  const shape = { ...required, ...optionalShape(optional) };
  return {
    shape,
    create: z6.strictObject({ ...shape, ...extras ? optionalShape(extras) : {} }),
    patch: z6.strictObject({ ...optionalShape({ ...required, ...optional }, patchOmit), ...extras ? optionalShape(extras) : {} }),
    ...extras ? { extras } : {}
  };
}
function directoryCreate(e) {
  return z6.strictObject(e.shape);
}
var partition = entity({ name: id() }, { description: text() }, ["name"]);
var css = entity({ name: id(), partitions: list(ref()) }, { description: text() }, ["name"]);
var line = entity(
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
    voicemailPilot: dialString().nullable()
  },
  ["id"]
);
var user = entity(
  { userId: checkedString((s) => /^[A-Za-z0-9._@-]{1,64}$/.test(s) ? void 0 : `must be 1 to 64 of A-Z a-z 0-9 . _ @ - (got ${show(s)})`) },
  {
    displayName: text(),
    mvaNumericId: checkedString((s) => /^[0-9]{1,32}$/.test(s) ? void 0 : `must be 1 to 32 digits (got ${show(s)})`).nullable(),
    pin: pin().nullable(),
    enableMobility: bool(),
    enableMobileVoiceAccess: bool(),
    maxWaitTimeForDeskPickupMs: intRange(0, 3e4),
    primaryLine: nullableRef(),
    timeZone: timeZone()
  },
  ["userId"],
  { webPassword: password() }
);
var deviceCommon = {
  ownerUser: nullableRef(),
  sipUsername: nonEmpty().nullable(),
  aor: checkedString((s) => /^sips?:[^\s@]+@[^\s@]+$/i.test(s) ? void 0 : `must be a SIP URI like sip:user@host (got ${show(s)})`).nullable(),
  css: nullableRef(),
  devicePool: text().nullable(),
  userHoldAudioSource: text().nullable(),
  networkHoldAudioSource: text().nullable(),
  lines: list(ref())
};
var deskOnly = {
  capabilities: z6.strictObject({ replaces: bool().optional(), dialogEvent: bool().optional(), refer: bool().optional() }),
  videoCapable: bool()
};
var mobileOnly = {
  rerouteCss: nullableRef(),
  dndEnabled: bool(),
  hasCellularRadio: bool(),
  dvoEnabled: bool(),
  dvoForwardCapable: bool(),
  transferToMobileNetwork: oneOf(["useMobilitySoftkey", "useHandoffNumber"]),
  emergencyNumbers: list(dialString())
};
var deviceExtras = { sipPassword: str().min(1, { error: "must not be empty" }).max(256, { error: "must be at most 256 characters" }) };
var deskShape = { kind: z6.literal("desk", { error: "must be desk or mobileClient" }), id: id(), ...optionalShape({ ...deviceCommon, ...deskOnly }) };
var mobileShape = { kind: z6.literal("mobileClient", { error: "must be desk or mobileClient" }), id: id(), ...optionalShape({ ...deviceCommon, ...mobileOnly }) };
var device = {
  shape: { ...deskShape, ...mobileShape, kind: oneOf(["desk", "mobileClient"]) },
  create: z6.discriminatedUnion("kind", [z6.strictObject({ ...deskShape, ...optionalShape(deviceExtras) }), z6.strictObject({ ...mobileShape, ...optionalShape(deviceExtras) })], {
    error: (iss) => `must have kind desk or mobileClient (got ${show(iss.input?.kind)})`
  }),
  directoryCreate: z6.discriminatedUnion("kind", [z6.strictObject(deskShape), z6.strictObject(mobileShape)]),
  patch: z6.strictObject({ ...optionalShape({ ...deviceCommon, ...deskOnly, ...mobileOnly }), ...optionalShape(deviceExtras) }),
  extras: deviceExtras
};
var rdProfile = entity(
  { name: text().min(1, { error: "must not be empty" }), ownerUser: ref() },
  {
    id: id(),
    lines: list(ref()),
    css: nullableRef(),
    rerouteCss: nullableRef(),
    devicePool: text().nullable(),
    userHoldAudioSource: text().nullable(),
    networkHoldAudioSource: text().nullable(),
    dndEnabled: bool()
  },
  ["id", "ownerUser"]
);
var accessPolicy = () => z6.union([z6.literal("always"), z6.strictObject({ allowedList: ref() }), z6.strictObject({ blockedList: ref() })], {
  error: 'must be "always", {"allowedList": id} or {"blockedList": id}'
});
var rdUserFields = {
  name: text(),
  number: rdNumber(),
  enableSnr: bool(),
  mobilePhone: bool(),
  delayBeforeRingingMs: rdTimer(),
  answerTooSoonMs: rdTimer(),
  answerTooLateMs: rdTimer(),
  snrVoicemailPolicy: oneOf(["useSystemDefault", "timerControl", "userControl"]),
  ringSchedule: nullableRef(),
  accessPolicy: accessPolicy()
};
var remoteDestination = entity(
  {
    number: rdNumber(),
    parent: z6.strictObject({ kind: oneOf(["rdProfile", "mobileClient"]), id: ref() })
  },
  { id: id(), isMobilityIdentity: bool(), mobilityProfile: nullableRef(), ownerUser: ref(), ...rdUserFields },
  ["id", "parent", "ownerUser", "number"]
);
remoteDestination.patch = z6.strictObject({
  ...optionalShape({ isMobilityIdentity: bool(), mobilityProfile: nullableRef(), ...rdUserFields })
});
var member = z6.strictObject({ kind: oneOf(["number", "mask", "notAvailable", "private"]), value: str().nullable().optional() }).superRefine((m, ctx) => {
  if (m.kind === "number" && !/^\+?[0-9*#]{1,32}$/.test(m.value ?? "")) ctx.addIssue({ code: "custom", path: ["value"], message: `must be a number (got ${show(m.value)})` });
  if (m.kind === "mask" && !/^\+?[0-9X*#]{1,32}$/.test(m.value ?? "")) ctx.addIssue({ code: "custom", path: ["value"], message: `must be a mask of digits and X (got ${show(m.value)})` });
});
var accessListMembers = () => list(member).max(500, { error: "at most 500 members" });
var accessList = entity(
  { name: text().min(1, { error: "must not be empty" }), ownerUser: ref(), type: oneOf(["allowed", "blocked"]) },
  { id: id(), members: accessListMembers() },
  ["id", "ownerUser"]
);
var DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
var scheduleEntry = z6.strictObject({ days: list(oneOf(DAYS)).min(1, { error: "must list at least one day" }), start: hhmm(), end: hhmm() }).superRefine((e, ctx) => {
  if (/^\d\d:\d\d$/.test(e.start) && /^\d\d:\d\d$/.test(e.end) && e.end <= e.start) ctx.addIssue({ code: "custom", path: ["end"], message: `must be after start (${e.start})` });
});
var scheduleEntries = () => list(scheduleEntry).max(100, { error: "at most 100 entries" });
var ringSchedule = entity({ name: text().min(1, { error: "must not be empty" }), entries: scheduleEntries() }, { id: id(), ownerUser: nullableRef() }, ["id"]);
var mobilityProfile = entity(
  { name: text().min(1, { error: "must not be empty" }) },
  {
    id: id(),
    dvoRCallbackCallerId: checkedString((s) => s === "" || /^\+?[0-9*#A-D]{1,24}$/.test(s) ? void 0 : `must be at most 24 dialable characters (got ${show(s)})`).nullable(),
    mobileClientCallingOption: text().nullable()
  },
  ["id"]
);
var routePattern = entity(
  {
    partition: ref(),
    pattern: checkedString((s) => validatePattern(s) ?? void 0),
    target: z6.strictObject({ kind: oneOf(["trunk", "line", "feature"]), id: ref(), arg: str().optional() })
  },
  { id: id(), stripPreDot: bool(), prefix: checkedString((s) => /^\+?[0-9*#]*$/.test(s) ? void 0 : `must be a dial string (got ${show(s)})`), description: text() },
  ["id"]
);
var trunkAuth = z6.union(
  [
    z6.strictObject({ username: nonEmpty(), realm: nonEmpty(), password: str().min(1, { error: "must not be empty" }) }),
    z6.strictObject({ username: nonEmpty(), realm: nonEmpty(), ha1Md5: str().regex(/^[0-9a-f]{32}$/), ha1Sha256: str().regex(/^[0-9a-f]{64}$/) })
  ],
  { error: "must be {username, realm, password} or {username, realm, ha1Md5, ha1Sha256}" }
);
var trunk = entity(
  { id: id(), peerHost: gateway.peerHost },
  {
    name: text(),
    port: gateway.port,
    transport: gateway.transport,
    trusted: bool(),
    inboundCss: nullableRef(),
    inboundRules: numberRules("inboundRules"),
    outboundRules: numberRules("outboundRules"),
    dtmfMode: list(oneOf(["rfc4733", "info", "kpml", "inband"])).min(1, { error: "needs at least one mode" }),
    sendDiversionOnMobilityForks: bool(),
    mobilityForkCallingIdentity: oneOf(["original", "enterpriseDid"]),
    answerSupervision: bool(),
    maxConcurrentCalls: intRange(1, 1e6).nullable(),
    mediaRelay: oneOf(["always", "whenNeeded", "never"]),
    registration: z6.strictObject({ aor: nonEmpty(), registrar: str().nullable().optional(), expiresS: intRange(60, 86400).optional() }).nullable(),
    auth: trunkAuth.nullable(),
    alternates: list(z6.strictObject(gateway))
  },
  ["id"]
);
var directedPark = entity(
  {
    firstNumber: checkedString((s) => /^[0-9]{1,16}$/.test(s) ? void 0 : `must be 1 to 16 digits (got ${show(s)})`),
    lastNumber: checkedString((s) => /^[0-9]{1,16}$/.test(s) ? void 0 : `must be 1 to 16 digits (got ${show(s)})`),
    retrievalPrefix: checkedString((s) => /^[0-9*#]{1,8}$/.test(s) ? void 0 : `must be 1 to 8 of 0-9 * # (got ${show(s)})`),
    partition: ref()
  },
  { id: id(), reversionTimeoutS: intRange(0, 86400) },
  ["id"]
);
var sipCredential = entity({ username: checkedString((s) => /^[^:"\\\s]{1,128}$/.test(s) ? void 0 : 'must be 1 to 128 characters without : " \\ or spaces'), password: str().min(1, { error: "must not be empty" }) }, { realm: nonEmpty(), deviceId: nullableRef() }, ["username"]);
var efaNumber = {
  create: z6.strictObject({ ...efaNumberSchema.shape, number: efaDialable() }),
  patch: z6.strictObject({ number: efaDialable().optional(), partition: nonEmpty().optional(), description: str().optional(), isDefault: bool().optional() })
};
function serviceParameterSchema(key2) {
  const shape = mobilitySchema.shape;
  return Object.prototype.hasOwnProperty.call(shape, key2) ? shape[key2] : void 0;
}
var serviceParameterKeys = () => Object.keys(mobilitySchema.shape);
var loginBody = z6.strictObject({ username: nonEmpty(), password: str().max(MAX_PASSWORD_LENGTH) });
var accountCreate = z6.strictObject({ username: nonEmpty(), role: oneOf(["admin", "user"]), userId: ref().nullable().optional(), password: password() });
var accountPatch = z6.strictObject({ password: password() });
var tokenCreate = z6.strictObject({ name: text().optional(), username: nonEmpty().optional() });
var passwordChange = z6.strictObject({ currentPassword: str(), newPassword: password() });
var pinChange = z6.strictObject({ currentPin: str().optional(), newPin: checkedString((s) => /^[0-9]{4,32}$/.test(s) ? void 0 : "must be 4 to 32 digits") });
var snrSwitch = z6.strictObject({ enabled: bool() });
var selfPatch = z6.strictObject({ timeZone: timeZone().optional(), displayName: text().optional() });
var selfRdCreate = z6.strictObject({
  ...optionalShape(rdUserFields),
  number: rdNumber(),
  parent: z6.strictObject({ kind: oneOf(["rdProfile", "mobileClient"]), id: ref() }).optional()
});
var selfRdPatch = z6.strictObject(optionalShape(rdUserFields));
var selfAccessListCreate = z6.strictObject({ id: id().optional(), name: text().min(1, { error: "must not be empty" }), type: oneOf(["allowed", "blocked"]), members: accessListMembers().optional() });
var selfAccessListPatch = z6.strictObject({ name: text().min(1, { error: "must not be empty" }).optional(), type: oneOf(["allowed", "blocked"]).optional(), members: accessListMembers().optional() });
var selfScheduleCreate = z6.strictObject({ id: id().optional(), name: text().min(1, { error: "must not be empty" }), entries: scheduleEntries() });
var selfSchedulePatch = z6.strictObject({ name: text().min(1, { error: "must not be empty" }).optional(), entries: scheduleEntries().optional() });

// src/api/entities.ts
var plain = (record) => ({ record, warnings: [] });
var identity = (r) => r;
function def(d) {
  return { view: identity, exportForm: identity, extraKeys: [], importSchema: d.create, ...d };
}
function userExport(u) {
  const { hasPin: _h, ...rest } = u;
  return rest;
}
function trunkView(t) {
  const tr = t;
  return { ...tr, auth: tr.auth ? { username: tr.auth.username, realm: tr.auth.realm } : null };
}
function deviceExport(d) {
  return d;
}
function entityDefs() {
  return [
    def({
      name: "partitions",
      section: "partitions",
      label: "partition",
      key: "name",
      create: partition.create,
      patch: partition.patch,
      list: (d) => d.partitions.list(),
      get: (d, id2) => d.partitions.get(id2),
      insert: (d, r) => plain(d.partitions.create(r)),
      update: (d, id2, p) => plain(d.partitions.update(id2, p)),
      remove: (d, id2) => d.partitions.delete(id2)
    }),
    def({
      name: "css",
      section: "css",
      label: "calling search space",
      key: "name",
      create: css.create,
      patch: css.patch,
      list: (d) => d.css.list(),
      get: (d, id2) => d.css.get(id2),
      insert: (d, r) => plain(d.css.create(r)),
      update: (d, id2, p) => plain(d.css.update(id2, p)),
      remove: (d, id2) => d.css.delete(id2)
    }),
    def({
      name: "lines",
      section: "lines",
      label: "line",
      key: "id",
      create: line.create,
      patch: line.patch,
      list: (d) => d.lines.list(),
      get: (d, id2) => d.lines.get(id2),
      insert: (d, r) => plain(d.lines.create(r)),
      update: (d, id2, p) => plain(d.lines.update(id2, p)),
      remove: (d, id2) => d.lines.delete(id2)
    }),
    def({
      name: "users",
      section: "users",
      label: "user",
      key: "userId",
      create: user.create,
      patch: user.patch,
      importSchema: directoryCreate(user),
      extraKeys: ["webPassword"],
      list: (d) => d.users.list(),
      get: (d, id2) => d.users.get(id2),
      insert: (d, r) => plain(d.users.create(r)),
      update: (d, id2, p) => plain(d.users.update(id2, p)),
      remove: (d, id2) => d.users.delete(id2),
      exportForm: userExport,
      // A self-care login for the user: account name = userId.
      prepareExtras: async (x) => typeof x.webPassword === "string" ? { passwordHash: await hashPassword(x.webPassword) } : {},
      applyExtras: (ctx, rec, prepared) => {
        if (typeof prepared.passwordHash !== "string") return;
        const u = rec;
        const acc = ctx.accounts.byUserId(u.userId);
        if (acc) ctx.accounts.setPasswordHash(acc.username, prepared.passwordHash);
        else ctx.accounts.create({ username: u.userId, role: "user", userId: u.userId, passwordHash: prepared.passwordHash });
      }
    }),
    def({
      name: "devices",
      section: "devices",
      label: "device",
      key: "id",
      create: device.create,
      patch: device.patch,
      importSchema: device.directoryCreate,
      extraKeys: ["sipPassword"],
      list: (d) => d.devices.list(),
      get: (d, id2) => d.devices.get(id2),
      insert: (d, r) => plain(d.devices.create(r)),
      update: (d, id2, p) => plain(d.devices.update(id2, p)),
      remove: (d, id2) => d.devices.delete(id2),
      exportForm: deviceExport,
      // SIP digest credentials given with the device: username = sipUsername (or the device id).
      prepareExtras: async (x) => x,
      applyExtras: (ctx, rec, prepared) => {
        if (typeof prepared.sipPassword !== "string") return;
        const dev = rec;
        const username = dev.sipUsername ?? dev.id;
        if (dev.sipUsername === null) ctx.dir.devices.update(dev.id, { sipUsername: username });
        ctx.dir.credentials.set(username, ctx.sipRealm, prepared.sipPassword, dev.id);
      }
    }),
    def({
      name: "sip-credentials",
      section: "sipCredentials",
      label: "SIP credential",
      key: "username",
      create: sipCredential.create,
      patch: sipCredential.patch,
      list: (d) => d.credentials.list(),
      get: (d, id2) => d.credentials.list().find((c) => c.username === id2),
      insert: (d, r) => plain(d.credentials.set(r.username, r.realm ?? d.domain, r.password, r.deviceId ?? null)),
      update: (d, id2, p) => {
        const cur = d.credentials.list().find((c) => c.username === id2);
        const realm = p.realm ?? cur?.realm ?? d.domain;
        if (typeof p.password !== "string") {
          throw new ApiError("invalid", "password: required (only HA1 is stored, so the password must be given again)", [{ field: "password", message: "required" }]);
        }
        return plain(d.credentials.set(id2, realm, p.password, p.deviceId === void 0 ? cur?.deviceId ?? null : p.deviceId));
      },
      remove: (d, id2) => d.credentials.delete(id2),
      // Only HA1 is stored: credentials cannot be exported for re-import.
      exportForm: void 0
    }),
    def({
      name: "rd-profiles",
      section: "rdProfiles",
      label: "remote destination profile",
      key: "id",
      create: rdProfile.create,
      patch: rdProfile.patch,
      list: (d) => d.rdProfiles.list(),
      get: (d, id2) => d.rdProfiles.get(id2),
      insert: (d, r) => plain(d.rdProfiles.create(r)),
      update: (d, id2, p) => plain(d.rdProfiles.update(id2, p)),
      remove: (d, id2) => d.rdProfiles.delete(id2)
    }),
    def({
      name: "remote-destinations",
      section: "remoteDestinations",
      label: "remote destination",
      key: "id",
      create: remoteDestination.create,
      patch: remoteDestination.patch,
      list: (d) => d.remoteDestinations.list(),
      get: (d, id2) => d.remoteDestinations.get(id2),
      insert: (d, r) => d.remoteDestinations.create(r),
      update: (d, id2, p) => d.remoteDestinations.update(id2, p),
      remove: (d, id2) => d.remoteDestinations.delete(id2)
    }),
    def({
      name: "access-lists",
      section: "accessLists",
      label: "access list",
      key: "id",
      create: accessList.create,
      patch: accessList.patch,
      list: (d) => d.accessLists.list(),
      get: (d, id2) => d.accessLists.get(id2),
      insert: (d, r) => plain(d.accessLists.create(r)),
      update: (d, id2, p) => plain(d.accessLists.update(id2, p)),
      remove: (d, id2) => d.accessLists.delete(id2)
    }),
    def({
      name: "ring-schedules",
      section: "ringSchedules",
      label: "ring schedule",
      key: "id",
      create: ringSchedule.create,
      patch: ringSchedule.patch,
      list: (d) => d.ringSchedules.list(),
      get: (d, id2) => d.ringSchedules.get(id2),
      insert: (d, r) => plain(d.ringSchedules.create(r)),
      update: (d, id2, p) => plain(d.ringSchedules.update(id2, p)),
      remove: (d, id2) => d.ringSchedules.delete(id2)
    }),
    def({
      name: "mobility-profiles",
      section: "mobilityProfiles",
      label: "mobility profile",
      key: "id",
      create: mobilityProfile.create,
      patch: mobilityProfile.patch,
      list: (d) => d.mobilityProfiles.list(),
      get: (d, id2) => d.mobilityProfiles.get(id2),
      insert: (d, r) => plain(d.mobilityProfiles.create(r)),
      update: (d, id2, p) => plain(d.mobilityProfiles.update(id2, p)),
      remove: (d, id2) => d.mobilityProfiles.delete(id2)
    }),
    def({
      name: "route-patterns",
      section: "routePatterns",
      label: "route pattern",
      key: "id",
      create: routePattern.create,
      patch: routePattern.patch,
      list: (d) => d.routePatterns.list(),
      get: (d, id2) => d.routePatterns.get(id2),
      insert: (d, r) => plain(d.routePatterns.create(r)),
      update: (d, id2, p) => plain(d.routePatterns.update(id2, p)),
      remove: (d, id2) => d.routePatterns.delete(id2)
    }),
    def({
      name: "trunks",
      section: "trunks",
      label: "trunk",
      key: "id",
      create: trunk.create,
      patch: trunk.patch,
      list: (d) => d.trunks.list(),
      get: (d, id2) => d.trunks.get(id2),
      insert: (d, r) => plain(d.trunks.create(r)),
      update: (d, id2, p) => plain(d.trunks.update(id2, p)),
      remove: (d, id2) => d.trunks.delete(id2),
      view: trunkView
    }),
    def({
      name: "directed-parks",
      section: "directedParks",
      label: "directed call park range",
      key: "id",
      create: directedPark.create,
      patch: directedPark.patch,
      list: (d) => d.directedParks.list(),
      get: (d, id2) => d.directedParks.get(id2),
      insert: (d, r) => plain(d.directedParks.create(r)),
      update: (d, id2, p) => plain(d.directedParks.update(id2, p)),
      remove: (d, id2) => d.directedParks.delete(id2)
    })
  ];
}
function splitExtras(def2, body) {
  const data = {};
  const extras = {};
  for (const [k, v] of Object.entries(body)) (def2.extraKeys.includes(k) ? extras : data)[k] = v;
  return { data, extras };
}

// src/api/service.ts
var ProvisioningService = class {
  constructor(dir, accounts, log, sipRealm) {
    this.dir = dir;
    this.accounts = accounts;
    this.audit = new AuditLog(dir.db, log);
    this.ctx = { dir, accounts, sipRealm };
  }
  dir;
  accounts;
  entities = entityDefs();
  audit;
  ctx;
  entity(name) {
    return this.entities.find((e) => e.name === name);
  }
  /**
   * Runs `fn` and the audit record in one transaction. `entityId` may be computed from the
   * result (creates with generated ids). Failures are audited (ok = 0) after the rollback.
   */
  write(actor, meta, fn, idOf) {
    try {
      return this.dir.transaction(() => {
        const r = fn();
        this.audit.record(actor, { ...meta, entityId: idOf?.(r) ?? meta.entityId ?? null, ok: true });
        return r;
      });
    } catch (e) {
      const err = toApiError(e);
      this.audit.recordFailure(actor, { ...meta, error: `${err.code}: ${err.message}` });
      throw err;
    }
  }
  /** Whether `actor` may act on this EndUser's data (administrators: any; end users: their own). */
  static mayManageUser(actor, userId) {
    return actor.role === "admin" || actor.userId === userId;
  }
  requireUser(userId) {
    if (!this.dir.users.get(userId)) throw new ApiError("not_found", `user "${userId}" not found`);
  }
};

// src/api/routes/auth.ts
import { z as z7 } from "zod";
var identity2 = z7.object({ username: z7.string(), role: z7.enum(["admin", "user"]), userId: z7.string().nullable(), csrfToken: z7.string().optional(), via: z7.string() });
function registerAuthRoutes(d) {
  const { routes, accounts, svc, throttle } = d;
  routes.add({
    method: "POST",
    url: "/api/v1/auth/login",
    summary: "Log in (administrator or end user): sets the session cookie, returns the CSRF token",
    tag: "auth",
    access: "public",
    body: loginBody,
    response: { schema: identity2 },
    handler: async ({ req, reply, body }) => {
      const keys = [`u:${body.username}`, `ip:${req.ip}`];
      const wait = throttle.lockedFor(keys);
      if (wait > 0) {
        reply.header("retry-after", String(Math.ceil(wait / 1e3)));
        throw new ApiError("rate_limited", "too many failed logins; try again later");
      }
      const account = await accounts.verify(body.username, body.password);
      const actor = account ? actorOf(account, "session", req.ip) : { username: body.username, role: "user", via: "session", ip: req.ip, userId: null };
      if (!account) {
        throttle.fail(keys);
        svc.audit.recordFailure(actor, { action: "login", entity: "session", entityId: body.username, error: "wrong username or password" });
        throw new ApiError("unauthenticated", "wrong username or password");
      }
      throttle.succeed(keys);
      const s = svc.write(actor, { action: "login", entity: "session", entityId: account.username }, () => accounts.createSession(account.username));
      const secure = req.protocol === "https" ? "; Secure" : "";
      reply.header(
        "set-cookie",
        `${SESSION_COOKIE}=${encodeURIComponent(s.id)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor((s.expiresAt - Date.now()) / 1e3)}${secure}`
      );
      return { username: account.username, role: account.role, userId: account.userId, csrfToken: s.csrfToken, via: "session" };
    }
  });
  routes.add({
    method: "POST",
    url: "/api/v1/auth/logout",
    summary: "Log out (ends the session)",
    tag: "auth",
    access: "any",
    status: 204,
    handler: ({ auth, reply, actor }) => {
      if (auth?.sessionId !== void 0) {
        const sid = auth.sessionId;
        svc.write(actor, { action: "logout", entity: "session", entityId: actor.username }, () => accounts.deleteSession(sid));
      }
      reply.header("set-cookie", `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return void 0;
    }
  });
  routes.add({
    method: "GET",
    url: "/api/v1/auth/session",
    summary: "Who am I (and the CSRF token of a cookie session)",
    tag: "auth",
    access: "any",
    response: { schema: identity2 },
    handler: ({ actor, auth }) => ({ username: actor.username, role: actor.role, userId: actor.userId, via: actor.via, ...auth?.csrfToken ? { csrfToken: auth.csrfToken } : {} })
  });
  routes.add({
    method: "GET",
    url: "/api/v1/accounts",
    summary: "List web/API accounts",
    tag: "accounts",
    access: "admin",
    handler: () => accounts.list()
  });
  routes.add({
    method: "POST",
    url: "/api/v1/accounts",
    summary: "Create an account: role admin, or role user tied to an EndUser (userId) for self-care",
    tag: "accounts",
    access: "admin",
    body: accountCreate,
    status: 201,
    handler: async ({ body, actor }) => {
      const passwordHash = await hashPassword(body.password);
      return svc.write(
        actor,
        { action: "create", entity: "accounts", entityId: body.username, detail: body },
        () => accounts.create({ username: body.username, role: body.role, userId: body.userId ?? null, passwordHash })
      );
    }
  });
  routes.add({
    method: "PATCH",
    url: "/api/v1/accounts/:username",
    summary: "Set an account's password (ends its sessions)",
    tag: "accounts",
    access: "admin",
    body: accountPatch,
    handler: async ({ body, actor, params }) => {
      const username = params.username;
      if (!accounts.get(username)) throw new ApiError("not_found", `account "${username}" not found`);
      const passwordHash = await hashPassword(body.password);
      svc.write(actor, { action: "update", entity: "accounts", entityId: username, detail: body }, () => accounts.setPasswordHash(username, passwordHash));
      return accounts.get(username);
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/accounts/:username",
    summary: "Delete an account (its sessions and tokens go with it; the last administrator cannot be deleted)",
    tag: "accounts",
    access: "admin",
    status: 204,
    handler: ({ actor, params }) => {
      const username = params.username;
      const acc = accounts.get(username);
      if (!acc) throw new ApiError("not_found", `account "${username}" not found`);
      if (acc.role === "admin" && accounts.countAdmins() <= 1) throw new ApiError("in_use", "the last administrator account cannot be deleted");
      svc.write(actor, { action: "delete", entity: "accounts", entityId: username }, () => accounts.delete(username));
      return void 0;
    }
  });
  routes.add({
    method: "GET",
    url: "/api/v1/tokens",
    summary: "List API tokens (administrators: all; end users: their own)",
    tag: "tokens",
    access: "any",
    handler: ({ actor }) => accounts.listTokens(actor.role === "admin" ? void 0 : actor.username)
  });
  routes.add({
    method: "POST",
    url: "/api/v1/tokens",
    summary: "Create an API token for yourself (administrators may name another account); the token text is shown only once",
    tag: "tokens",
    access: "any",
    body: tokenCreate,
    status: 201,
    response: { schema: z7.object({ token: z7.string(), info: z7.object({}).passthrough() }) },
    handler: ({ body, actor }) => {
      const username = body.username ?? actor.username;
      if (username !== actor.username && actor.role !== "admin") throw new ApiError("forbidden", "you may create tokens only for yourself");
      return svc.write(actor, { action: "create", entity: "tokens", entityId: username, detail: { name: body.name } }, () => accounts.createToken(username, body.name ?? ""));
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/tokens/:id",
    summary: "Revoke an API token",
    tag: "tokens",
    access: "any",
    status: 204,
    handler: ({ actor, params }) => {
      const t = accounts.getToken(params.id);
      if (!t || actor.role !== "admin" && t.username !== actor.username) throw new ApiError("not_found", `token "${params.id}" not found`);
      svc.write(actor, { action: "delete", entity: "tokens", entityId: t.id }, () => accounts.deleteToken(t.id));
      return void 0;
    }
  });
  const auditQuery = z7.strictObject({ limit: qInt(1, 1e3).optional(), before: qInt(1, Number.MAX_SAFE_INTEGER).optional(), actor: z7.string().optional(), entity: z7.string().optional() });
  routes.add({
    method: "GET",
    url: "/api/v1/audit",
    summary: "The audit log, newest first (who changed what, when; failed attempts included)",
    tag: "audit",
    access: "admin",
    query: auditQuery,
    handler: ({ query }) => svc.audit.list(query)
  });
}

// src/api/routes/bulk.ts
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument as parseDocument3 } from "yaml";
import { z as z8 } from "zod";

// src/directory/provision.ts
import { readFileSync } from "node:fs";
import { parseDocument as parseDocument2 } from "yaml";
var PROVISIONING_SECTIONS = [
  "partitions",
  "css",
  "trunks",
  "lines",
  "routePatterns",
  "serviceParameters",
  "users",
  "mobilityProfiles",
  "ringSchedules",
  "devices",
  "sipCredentials",
  "rdProfiles",
  "accessLists",
  "remoteDestinations",
  "directedParks"
];
function without(r, ...keys) {
  const out = { ...r };
  for (const k of keys) delete out[k];
  return out;
}
function applyProvisioning(dir, doc, source = "provisioning") {
  if (doc === null || doc === void 0) return { created: 0, updated: 0, warnings: [] };
  if (typeof doc !== "object" || Array.isArray(doc)) throw new DirectoryError("invalid", `${source}: the top level must be a mapping`);
  const d = doc;
  for (const k of Object.keys(d)) {
    if (!PROVISIONING_SECTIONS.includes(k)) throw new DirectoryError("invalid", `${source}: ${k}: unknown section`);
  }
  const res = { created: 0, updated: 0, warnings: [] };
  const upsert = (exists, create, update) => {
    if (exists) {
      update();
      res.updated++;
    } else {
      create();
      res.created++;
    }
  };
  const each = (section, key2, fn) => {
    const list2 = d[section];
    if (list2 === void 0) return;
    if (!Array.isArray(list2)) throw new DirectoryError("invalid", `${source}: ${section}: must be a list`);
    list2.forEach((r, i) => {
      const at = `${source}: ${section}[${i}]`;
      if (r === null || typeof r !== "object" || Array.isArray(r)) throw new DirectoryError("invalid", `${at}: must be a mapping`);
      const id2 = r[key2];
      if (typeof id2 !== "string" || id2 === "") throw new DirectoryError("invalid", `${at}: ${key2}: required`);
      try {
        fn(r, id2);
      } catch (e) {
        if (e instanceof DirectoryError) throw new DirectoryError(e.code, `${at} (${id2}): ${e.message}`);
        throw e;
      }
    });
  };
  dir.transaction(() => {
    each(
      "partitions",
      "name",
      (r, id2) => upsert(!!dir.partitions.get(id2), () => dir.partitions.create(r), () => dir.partitions.update(id2, without(r, "name")))
    );
    each("css", "name", (r, id2) => upsert(!!dir.css.get(id2), () => dir.css.create(r), () => dir.css.update(id2, without(r, "name"))));
    each("trunks", "id", (r, id2) => upsert(!!dir.trunks.get(id2), () => dir.trunks.create(r), () => dir.trunks.update(id2, without(r, "id"))));
    each("lines", "id", (r, id2) => upsert(!!dir.lines.get(id2), () => dir.lines.create(r), () => dir.lines.update(id2, without(r, "id"))));
    each(
      "routePatterns",
      "id",
      (r, id2) => upsert(!!dir.routePatterns.get(id2), () => dir.routePatterns.create(r), () => dir.routePatterns.update(id2, without(r, "id")))
    );
    if (d.serviceParameters !== void 0) {
      const sp = d.serviceParameters;
      if (sp === null || typeof sp !== "object" || Array.isArray(sp)) throw new DirectoryError("invalid", `${source}: serviceParameters: must be a mapping`);
      try {
        dir.serviceParameters.setMany(sp);
      } catch (e) {
        if (e instanceof DirectoryError) throw new DirectoryError(e.code, `${source}: serviceParameters: ${e.message}`);
        throw e;
      }
    }
    each("users", "userId", (r, id2) => upsert(!!dir.users.get(id2), () => dir.users.create(r), () => dir.users.update(id2, without(r, "userId"))));
    each(
      "mobilityProfiles",
      "id",
      (r, id2) => upsert(!!dir.mobilityProfiles.get(id2), () => dir.mobilityProfiles.create(r), () => dir.mobilityProfiles.update(id2, without(r, "id")))
    );
    each(
      "ringSchedules",
      "id",
      (r, id2) => upsert(!!dir.ringSchedules.get(id2), () => dir.ringSchedules.create(r), () => dir.ringSchedules.update(id2, without(r, "id")))
    );
    each("devices", "id", (r, id2) => upsert(!!dir.devices.get(id2), () => dir.devices.create(r), () => dir.devices.update(id2, without(r, "id", "kind"))));
    each("sipCredentials", "username", (r) => {
      const realm = typeof r.realm === "string" ? r.realm : dir.domain;
      const existed = !!dir.credentials.get(r.username, realm);
      dir.credentials.set(r.username, realm, String(r.password ?? ""), r.deviceId ?? null);
      if (existed) res.updated++;
      else res.created++;
    });
    each(
      "rdProfiles",
      "id",
      (r, id2) => upsert(!!dir.rdProfiles.get(id2), () => dir.rdProfiles.create(r), () => dir.rdProfiles.update(id2, without(r, "id", "ownerUser")))
    );
    each(
      "accessLists",
      "id",
      (r, id2) => upsert(!!dir.accessLists.get(id2), () => dir.accessLists.create(r), () => dir.accessLists.update(id2, without(r, "id")))
    );
    each(
      "remoteDestinations",
      "id",
      (r, id2) => upsert(
        !!dir.remoteDestinations.get(id2),
        () => res.warnings.push(...dir.remoteDestinations.create(r).warnings.map((w) => `${id2}: ${w}`)),
        () => res.warnings.push(...dir.remoteDestinations.update(id2, without(r, "id", "parent", "ownerUser")).warnings.map((w) => `${id2}: ${w}`))
      )
    );
    each(
      "directedParks",
      "id",
      (r, id2) => upsert(!!dir.directedParks.get(id2), () => dir.directedParks.create(r), () => dir.directedParks.update(id2, without(r, "id")))
    );
  });
  return res;
}
function applyProvisioningFile(dir, path) {
  const doc = parseDocument2(readFileSync(path, "utf8"), { uniqueKeys: true });
  if (doc.errors.length) throw new DirectoryError("invalid", `${path}: YAML ${doc.errors[0].message.split("\n")[0]}`);
  return applyProvisioning(dir, doc.toJS(), path);
}

// src/api/backup.ts
import BetterSqlite32 from "better-sqlite3";
import { existsSync, mkdirSync as mkdirSync2 } from "node:fs";
import { dirname as dirname2 } from "node:path";

// src/directory/db.ts
import BetterSqlite3 from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
function openSqlite(path) {
  if (path !== ":memory:" && !path.startsWith("file:")) mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  if (path !== ":memory:") db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.pragma("synchronous = NORMAL");
  return db;
}

// src/directory/migrations.ts
var DIRECTORY_MIGRATIONS = [
  // 1: provisioning entities of spec §17.1
  `
  CREATE TABLE partitions (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE css (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE css_partitions (
    css TEXT NOT NULL REFERENCES css(name) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    partition TEXT NOT NULL REFERENCES partitions(name),
    PRIMARY KEY (css, ord),
    UNIQUE (css, partition)
  );
  CREATE INDEX css_partitions_partition ON css_partitions(partition);

  CREATE TABLE lines (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    partition TEXT NOT NULL REFERENCES partitions(name),
    line_css TEXT REFERENCES css(name),
    did TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    no_answer_ring_duration_s INTEGER,
    call_forward_all TEXT,
    call_forward_busy TEXT,
    call_forward_no_answer TEXT,
    voicemail_pilot TEXT,
    UNIQUE (number, partition)
  );
  CREATE INDEX lines_number ON lines(number);
  CREATE INDEX lines_did ON lines(did);

  CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    mva_numeric_id TEXT UNIQUE,
    pin_hash TEXT,
    enable_mobility INTEGER NOT NULL DEFAULT 0,
    enable_mobile_voice_access INTEGER NOT NULL DEFAULT 0,
    max_wait_time_for_desk_pickup_ms INTEGER NOT NULL DEFAULT 10000,
    primary_line TEXT REFERENCES lines(id) ON DELETE SET NULL,
    time_zone TEXT NOT NULL DEFAULT 'UTC'
  );

  CREATE TABLE mobility_profiles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    dvo_r_callback_caller_id TEXT,
    mobile_client_calling_option TEXT
  );

  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('desk', 'mobileClient')),
    owner_user TEXT REFERENCES users(user_id) ON DELETE SET NULL,
    sip_username TEXT UNIQUE,
    aor TEXT UNIQUE,
    css TEXT REFERENCES css(name),
    reroute_css TEXT REFERENCES css(name),
    device_pool TEXT,
    user_hold_audio_source TEXT,
    network_hold_audio_source TEXT,
    capabilities TEXT,
    video_capable INTEGER NOT NULL DEFAULT 0,
    dnd_enabled INTEGER NOT NULL DEFAULT 0,
    has_cellular_radio INTEGER NOT NULL DEFAULT 1,
    dvo_enabled INTEGER NOT NULL DEFAULT 0,
    dvo_forward_capable INTEGER NOT NULL DEFAULT 0,
    transfer_to_mobile_network TEXT NOT NULL DEFAULT 'useMobilitySoftkey',
    emergency_numbers TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX devices_owner ON devices(owner_user);

  CREATE TABLE device_lines (
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    line_id TEXT NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    PRIMARY KEY (device_id, line_id)
  );
  CREATE INDEX device_lines_line ON device_lines(line_id);

  -- Digest secrets as HA1 per realm (RFC 7616: MD5 and SHA-256); plaintext is never stored.
  CREATE TABLE sip_credentials (
    username TEXT NOT NULL,
    realm TEXT NOT NULL,
    ha1_md5 TEXT NOT NULL,
    ha1_sha256 TEXT NOT NULL,
    device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
    PRIMARY KEY (username, realm)
  );

  CREATE TABLE rd_profiles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_user TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    css TEXT REFERENCES css(name),
    reroute_css TEXT REFERENCES css(name),
    device_pool TEXT,
    user_hold_audio_source TEXT,
    network_hold_audio_source TEXT,
    dnd_enabled INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX rd_profiles_owner ON rd_profiles(owner_user);
  CREATE TABLE rd_profile_lines (
    profile_id TEXT NOT NULL REFERENCES rd_profiles(id) ON DELETE CASCADE,
    line_id TEXT NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    PRIMARY KEY (profile_id, line_id)
  );

  CREATE TABLE access_lists (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_user TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    type TEXT NOT NULL CHECK (type IN ('allowed', 'blocked'))
  );
  CREATE TABLE access_list_members (
    list_id TEXT NOT NULL REFERENCES access_lists(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('number', 'mask', 'notAvailable', 'private')),
    value TEXT,
    PRIMARY KEY (list_id, ord)
  );

  CREATE TABLE ring_schedules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_user TEXT REFERENCES users(user_id) ON DELETE CASCADE,
    entries TEXT NOT NULL DEFAULT '[]'
  );

  CREATE TABLE remote_destinations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL,
    number_norm TEXT NOT NULL UNIQUE,
    is_mobility_identity INTEGER NOT NULL DEFAULT 0,
    rd_profile_id TEXT REFERENCES rd_profiles(id) ON DELETE CASCADE,
    device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
    mobility_profile TEXT REFERENCES mobility_profiles(id),
    owner_user TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    enable_snr INTEGER NOT NULL DEFAULT 1,
    mobile_phone INTEGER NOT NULL DEFAULT 0,
    delay_before_ringing_ms INTEGER NOT NULL,
    answer_too_soon_ms INTEGER NOT NULL,
    answer_too_late_ms INTEGER NOT NULL,
    snr_voicemail_policy TEXT NOT NULL DEFAULT 'useSystemDefault',
    ring_schedule TEXT REFERENCES ring_schedules(id),
    access_policy TEXT NOT NULL DEFAULT 'always' CHECK (access_policy IN ('always', 'allowedList', 'blockedList')),
    access_list TEXT REFERENCES access_lists(id),
    CHECK ((rd_profile_id IS NULL) <> (device_id IS NULL))
  );
  CREATE INDEX remote_destinations_owner ON remote_destinations(owner_user);
  CREATE INDEX remote_destinations_device ON remote_destinations(device_id);
  CREATE INDEX remote_destinations_profile ON remote_destinations(rd_profile_id);

  CREATE TABLE trunks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    peer_host TEXT NOT NULL,
    port INTEGER NOT NULL,
    transport TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),
    trusted INTEGER NOT NULL DEFAULT 0,
    inbound_css TEXT REFERENCES css(name),
    inbound_rules TEXT NOT NULL DEFAULT '[]',
    outbound_rules TEXT NOT NULL DEFAULT '[]',
    dtmf_mode TEXT NOT NULL DEFAULT '["rfc4733"]',
    send_diversion_on_mobility_forks INTEGER NOT NULL DEFAULT 0,
    mobility_fork_calling_identity TEXT NOT NULL DEFAULT 'original',
    answer_supervision INTEGER NOT NULL DEFAULT 1,
    max_concurrent_calls INTEGER,
    media_relay TEXT NOT NULL DEFAULT 'whenNeeded',
    registration TEXT,
    auth TEXT,
    alternates TEXT NOT NULL DEFAULT '[]'
  );

  CREATE TABLE route_patterns (
    id TEXT PRIMARY KEY,
    partition TEXT NOT NULL REFERENCES partitions(name),
    pattern TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('trunk', 'line', 'feature')),
    target_id TEXT NOT NULL,
    target_arg TEXT,
    strip_pre_dot INTEGER NOT NULL DEFAULT 0,
    prefix TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (partition, pattern)
  );

  CREATE TABLE directed_parks (
    id TEXT PRIMARY KEY,
    first_number TEXT NOT NULL,
    last_number TEXT NOT NULL,
    retrieval_prefix TEXT NOT NULL,
    partition TEXT NOT NULL REFERENCES partitions(name),
    reversion_timeout_s INTEGER NOT NULL DEFAULT 0
  );

  -- Overrides of the config's mobility parameters (key \u2192 JSON value).
  CREATE TABLE service_parameters (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `
];

// src/directory/context.ts
var DirectoryContext = class {
  constructor(db, mobility) {
    this.db = db;
    this.mobility = mobility;
  }
  db;
  mobility;
  stmts = /* @__PURE__ */ new Map();
  listeners = [];
  /** A prepared statement, prepared once per SQL text. */
  stmt(sql) {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }
  tx(fn) {
    return this.db.transaction(fn)();
  }
  onChange(fn) {
    this.listeners.push(fn);
  }
  changed(...kinds) {
    for (const k of kinds) for (const l of this.listeners) l(k);
  }
  exists(table, col, value) {
    return this.stmt(`SELECT 1 FROM ${table} WHERE ${col} = ? LIMIT 1`).get(value) !== void 0;
  }
};

// src/directory/table.ts
function snake(s) {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
var Table = class {
  constructor(db, name, key2, columns, orderBy) {
    this.db = db;
    this.name = name;
    this.key = key2;
    this.cols = Object.keys(columns).map((prop) => ({ prop, col: snake(prop), type: columns[prop] }));
    const names = this.cols.map((c) => c.col);
    const params = this.cols.map((c) => `@${c.col}`);
    const keyWhere = this.key.map((k) => `${snake(k)} = @${snake(k)}`).join(" AND ");
    const sets = this.cols.filter((c) => !this.key.includes(c.prop)).map((c) => `${c.col} = @${c.col}`);
    this.insertStmt = db.prepare(`INSERT INTO ${name} (${names.join(", ")}) VALUES (${params.join(", ")})`);
    this.upsertStmt = db.prepare(
      `INSERT INTO ${name} (${names.join(", ")}) VALUES (${params.join(", ")}) ON CONFLICT (${this.key.map(snake).join(", ")}) DO UPDATE SET ${sets.length ? sets.join(", ") : `${snake(this.key[0])} = excluded.${snake(this.key[0])}`}`
    );
    this.updateStmt = db.prepare(`UPDATE ${name} SET ${sets.join(", ") || `${snake(this.key[0])} = ${snake(this.key[0])}`} WHERE ${keyWhere}`);
    this.getStmt = db.prepare(`SELECT * FROM ${name} WHERE ${keyWhere}`);
    this.deleteStmt = db.prepare(`DELETE FROM ${name} WHERE ${keyWhere}`);
    this.allStmt = db.prepare(`SELECT * FROM ${name} ORDER BY ${orderBy ?? "rowid"}`);
  }
  db;
  name;
  key;
  cols;
  insertStmt;
  upsertStmt;
  updateStmt;
  getStmt;
  deleteStmt;
  allStmt;
  whereStmts = /* @__PURE__ */ new Map();
  toRow(obj) {
    const row = {};
    for (const c of this.cols) {
      const v = obj[c.prop];
      if (v === void 0 || v === null) row[c.col] = null;
      else if (c.type === "bool") row[c.col] = v ? 1 : 0;
      else if (c.type === "json") row[c.col] = JSON.stringify(v);
      else row[c.col] = v;
    }
    return row;
  }
  fromRow(row) {
    const obj = {};
    for (const c of this.cols) {
      const v = row[c.col];
      if (v === null || v === void 0) obj[c.prop] = c.type === "bool" ? false : null;
      else if (c.type === "bool") obj[c.prop] = v === 1 || v === true;
      else if (c.type === "json") obj[c.prop] = JSON.parse(v);
      else obj[c.prop] = v;
    }
    return obj;
  }
  keyParams(values) {
    const p = {};
    this.key.forEach((k, i) => p[snake(k)] = values[i]);
    return p;
  }
  insert(obj) {
    this.insertStmt.run(this.toRow(obj));
  }
  upsert(obj) {
    this.upsertStmt.run(this.toRow(obj));
  }
  /** Returns false if no row has that key. */
  update(obj) {
    return this.updateStmt.run(this.toRow(obj)).changes > 0;
  }
  get(...key2) {
    const row = this.getStmt.get(this.keyParams(key2));
    return row ? this.fromRow(row) : void 0;
  }
  delete(...key2) {
    return this.deleteStmt.run(this.keyParams(key2)).changes > 0;
  }
  all() {
    return this.allStmt.all().map((r) => this.fromRow(r));
  }
  /** Rows where `prop = value` (statement cached per property). */
  where(prop, value) {
    let st = this.whereStmts.get(prop);
    if (!st) {
      st = this.db.prepare(`SELECT * FROM ${this.name} WHERE ${snake(prop)} = ? ORDER BY rowid`);
      this.whereStmts.set(prop, st);
    }
    return st.all(value).map((r) => this.fromRow(r));
  }
  one(prop, value) {
    return this.where(prop, value)[0];
  }
};

// src/directory/validate.ts
function requireRef(ctx, table, col, value, field) {
  if (value === null || value === void 0) return;
  if (!ctx.exists(table, col, value)) throw invalid(`${field}: "${value}" does not exist`);
}
function checkInt(field, v, min, max) {
  if (v === void 0 || v === null) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(`${field}: must be an integer between ${min} and ${max} (got ${JSON.stringify(v)})`);
  }
}
function checkNonEmpty(field, v) {
  if (typeof v !== "string" || v.trim() === "") throw invalid(`${field}: must be a non-empty string`);
}
function checkDialString(field, v) {
  if (v === null || v === void 0) return;
  if (!/^\+?[0-9*#]{1,32}$/.test(v)) throw invalid(`${field}: "${v}" is not a dial string (digits, * and #, optional leading +)`);
}
function checkOneOf(field, v, values) {
  if (v === void 0) return;
  if (!values.includes(v)) throw invalid(`${field}: must be one of ${values.join(", ")} (got ${JSON.stringify(v)})`);
}
function defined(patch) {
  const out = {};
  for (const [k, v] of Object.entries(patch)) if (v !== void 0) out[k] = v;
  return out;
}

// src/directory/repos/partitions.ts
var PartitionRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "partitions", ["name"], { name: "text", description: "text" }, "name");
  }
  ctx;
  t;
  create(p) {
    checkNonEmpty("name", p.name);
    const rec = { name: p.name, description: p.description ?? "" };
    guard(`partition "${p.name}"`, () => this.t.insert(rec));
    this.ctx.changed("dialPlan");
    return rec;
  }
  get(name) {
    return this.t.get(name);
  }
  list() {
    return this.t.all();
  }
  update(name, patch) {
    const cur = this.get(name);
    if (!cur) throw notFound("partition", name);
    const rec = { ...cur, ...defined(patch), name };
    this.t.update(rec);
    return rec;
  }
  /** Refused while a line, route pattern, CSS or park range uses the partition. */
  delete(name) {
    for (const [table, col] of [
      ["lines", "partition"],
      ["route_patterns", "partition"],
      ["css_partitions", "partition"],
      ["directed_parks", "partition"]
    ]) {
      if (this.ctx.exists(table, col, name)) throw new DirectoryError("in_use", `partition "${name}" is used by ${table}`);
    }
    const ok = this.t.delete(name);
    if (ok) this.ctx.changed("dialPlan");
    return ok;
  }
};
var CssRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "css", ["name"], { name: "text", description: "text" }, "name");
  }
  ctx;
  t;
  partitionsOf(name) {
    return this.ctx.stmt("SELECT partition FROM css_partitions WHERE css = ? ORDER BY ord").all(name).map((r) => r.partition);
  }
  setPartitions(name, partitions) {
    if (new Set(partitions).size !== partitions.length) throw invalid(`css "${name}": partitions: listed twice`);
    partitions.forEach((p, i) => requireRef(this.ctx, "partitions", "name", p, `partitions[${i}]`));
    this.ctx.stmt("DELETE FROM css_partitions WHERE css = ?").run(name);
    const ins = this.ctx.stmt("INSERT INTO css_partitions (css, ord, partition) VALUES (?, ?, ?)");
    partitions.forEach((p, i) => ins.run(name, i, p));
  }
  create(c) {
    checkNonEmpty("name", c.name);
    const rec = { name: c.name, description: c.description ?? "", partitions: [...c.partitions] };
    this.ctx.tx(() => {
      guard(`css "${c.name}"`, () => this.t.insert({ name: rec.name, description: rec.description }));
      this.setPartitions(rec.name, rec.partitions);
    });
    this.ctx.changed("dialPlan");
    return rec;
  }
  get(name) {
    const r = this.t.get(name);
    return r ? { ...r, partitions: this.partitionsOf(name) } : void 0;
  }
  list() {
    return this.t.all().map((r) => ({ ...r, partitions: this.partitionsOf(r.name) }));
  }
  update(name, patch) {
    const cur = this.get(name);
    if (!cur) throw notFound("css", name);
    this.ctx.tx(() => {
      if (patch.description !== void 0) this.t.update({ name, description: patch.description });
      if (patch.partitions) this.setPartitions(name, patch.partitions);
    });
    this.ctx.changed("dialPlan");
    return this.get(name);
  }
  delete(name) {
    const ok = guard(`css "${name}"`, () => this.t.delete(name));
    if (ok) this.ctx.changed("dialPlan");
    return ok;
  }
};

// src/directory/repos/lines.ts
import { randomUUID } from "node:crypto";
var LineRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "lines", ["id"], {
      id: "text",
      number: "text",
      partition: "text",
      lineCss: "text",
      did: "text",
      displayName: "text",
      noAnswerRingDurationS: "int",
      callForwardAll: "text",
      callForwardBusy: "text",
      callForwardNoAnswer: "text",
      voicemailPilot: "text"
    });
  }
  ctx;
  t;
  check(l) {
    checkNonEmpty("id", l.id);
    checkDialString("number", l.number);
    checkDialString("did", l.did);
    for (const f of ["callForwardAll", "callForwardBusy", "callForwardNoAnswer", "voicemailPilot"]) checkDialString(f, l[f]);
    checkInt("noAnswerRingDurationS", l.noAnswerRingDurationS, 1, 300);
    requireRef(this.ctx, "partitions", "name", l.partition, "partition");
    requireRef(this.ctx, "css", "name", l.lineCss, "lineCss");
  }
  create(input) {
    const rec = {
      id: input.id ?? randomUUID(),
      number: input.number,
      partition: input.partition,
      lineCss: input.lineCss ?? null,
      did: input.did ?? null,
      displayName: input.displayName ?? "",
      noAnswerRingDurationS: input.noAnswerRingDurationS ?? null,
      callForwardAll: input.callForwardAll ?? null,
      callForwardBusy: input.callForwardBusy ?? null,
      callForwardNoAnswer: input.callForwardNoAnswer ?? null,
      voicemailPilot: input.voicemailPilot ?? null
    };
    this.check(rec);
    guard(`line ${rec.number} in ${rec.partition}`, () => this.t.insert(rec));
    this.ctx.changed("dialPlan", "remoteDestinations");
    return rec;
  }
  get(id2) {
    return this.t.get(id2);
  }
  /** The line with this DN in `partition`; without a partition, the only line with this DN (undefined if several). */
  find(number, partition2) {
    if (partition2 !== void 0) {
      const row = this.ctx.stmt("SELECT * FROM lines WHERE number = ? AND partition = ?").get(number, partition2);
      return row ? this.t.fromRow(row) : void 0;
    }
    const all = this.t.where("number", number);
    return all.length === 1 ? all[0] : void 0;
  }
  findAll(number) {
    return this.t.where("number", number);
  }
  findByDid(did) {
    return this.t.one("did", did);
  }
  list() {
    return this.t.all();
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("line", id2);
    const rec = { ...cur, ...defined(patch), id: id2 };
    this.check(rec);
    guard(`line ${rec.number}`, () => this.t.update(rec));
    this.ctx.changed("dialPlan");
    return rec;
  }
  delete(id2) {
    const ok = guard(`line "${id2}"`, () => this.t.delete(id2));
    if (ok) this.ctx.changed("dialPlan");
    return ok;
  }
};

// src/directory/secrets.ts
import { createHash as createHash2, randomBytes as randomBytes3, scrypt as scrypt2, scryptSync, timingSafeEqual as timingSafeEqual2 } from "node:crypto";
function computeHa1(username, realm, password2, algorithm) {
  const h = algorithm === "MD5" ? "md5" : "sha256";
  return createHash2(h).update(`${username}:${realm}:${password2}`, "utf8").digest("hex");
}
var N2 = 1 << 14;
var KEYLEN2 = 32;
function hashPin(pin2) {
  const salt = randomBytes3(16);
  const key2 = scryptSync(pin2, salt, KEYLEN2, { N: N2, r: 8, p: 1 });
  return `scrypt$${N2}$${salt.toString("base64")}$${key2.toString("base64")}`;
}
function parse(stored) {
  const [alg, n, salt, key2] = stored.split("$");
  if (alg !== "scrypt" || !n || !salt || !key2) return void 0;
  return { n: Number(n), salt: Buffer.from(salt, "base64"), key: Buffer.from(key2, "base64") };
}
function verifyPinHash(pin2, stored) {
  const p = parse(stored);
  if (!p) return Promise.resolve(false);
  return new Promise((resolve2) => {
    scrypt2(pin2, p.salt, p.key.length, { N: p.n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err, key2) => {
      resolve2(!err && key2.length === p.key.length && timingSafeEqual2(key2, p.key));
    });
  });
}
function isValidPin(pin2) {
  return /^[0-9]{1,32}$/.test(pin2);
}

// src/directory/repos/users.ts
function toUser(r) {
  const { pinHash, ...rest } = r;
  return { ...rest, hasPin: pinHash !== null };
}
var UserRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "users", ["userId"], {
      userId: "text",
      displayName: "text",
      mvaNumericId: "text",
      pinHash: "text",
      enableMobility: "bool",
      enableMobileVoiceAccess: "bool",
      maxWaitTimeForDeskPickupMs: "int",
      primaryLine: "text",
      timeZone: "text"
    });
  }
  ctx;
  t;
  check(r) {
    checkNonEmpty("userId", r.userId);
    if (r.mvaNumericId !== null && !/^[0-9]{1,32}$/.test(r.mvaNumericId)) throw invalid(`mvaNumericId: must be digits (got "${r.mvaNumericId}")`);
    if (r.mvaNumericId !== null) {
      const rd = this.ctx.stmt("SELECT id FROM remote_destinations WHERE replace(number_norm, '+', '') = ? LIMIT 1").get(r.mvaNumericId);
      if (rd) throw invalid(`mvaNumericId: equals the digits of remote destination "${rd.id}" (D-47)`);
    }
    checkInt("maxWaitTimeForDeskPickupMs", r.maxWaitTimeForDeskPickupMs, 0, 3e4);
    requireRef(this.ctx, "lines", "id", r.primaryLine, "primaryLine");
    if (!isValidTimeZone(r.timeZone)) throw invalid(`timeZone: unknown time zone "${r.timeZone}"`);
  }
  pinHashOf(pin2, current) {
    if (pin2 === void 0) return current;
    if (pin2 === null) return null;
    if (!isValidPin(pin2)) throw invalid("pin: must be 1 to 32 digits");
    return hashPin(pin2);
  }
  create(input) {
    const row = {
      userId: input.userId,
      displayName: input.displayName ?? "",
      mvaNumericId: input.mvaNumericId ?? null,
      pinHash: this.pinHashOf(input.pin, null),
      enableMobility: input.enableMobility ?? false,
      enableMobileVoiceAccess: input.enableMobileVoiceAccess ?? false,
      maxWaitTimeForDeskPickupMs: input.maxWaitTimeForDeskPickupMs ?? this.ctx.mobility().maxWaitTimeForDeskPickupMs,
      primaryLine: input.primaryLine ?? null,
      timeZone: input.timeZone ?? "UTC"
    };
    this.check(row);
    guard(`user "${row.userId}"`, () => this.t.insert(row));
    return toUser(row);
  }
  get(userId) {
    const r = this.t.get(userId);
    return r ? toUser(r) : void 0;
  }
  findByMvaId(mvaNumericId) {
    const r = this.t.one("mvaNumericId", mvaNumericId);
    return r ? toUser(r) : void 0;
  }
  list() {
    return this.t.all().map(toUser);
  }
  update(userId, patch) {
    const cur = this.t.get(userId);
    if (!cur) throw notFound("user", userId);
    const { pin: pin2, ...rest } = patch;
    const row = { ...cur, ...defined(rest), userId, pinHash: this.pinHashOf(pin2, cur.pinHash) };
    this.check(row);
    if (cur.enableMobility && !row.enableMobility && this.ctx.exists("remote_destinations", "owner_user", userId)) {
      throw invalid("enableMobility: the user still owns remote destinations or a mobility identity");
    }
    guard(`user "${userId}"`, () => this.t.update(row));
    this.ctx.changed("remoteDestinations");
    return toUser(row);
  }
  delete(userId) {
    const ok = guard(`user "${userId}"`, () => this.t.delete(userId));
    if (ok) this.ctx.changed("remoteDestinations");
    return ok;
  }
  /** Compares with the stored hash (false if the user has no PIN). MVA-11 lockout is the caller's job. */
  async verifyPin(userId, pin2) {
    const r = this.t.get(userId);
    if (!r || r.pinHash === null) return false;
    return verifyPinHash(pin2, r.pinHash);
  }
};
function isValidTimeZone(tz) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// src/directory/repos/devices.ts
var DEFAULT_CAPS = { replaces: true, dialogEvent: true, refer: true };
function normaliseAor(aor) {
  let s = aor.trim();
  const lt = s.indexOf("<");
  if (lt >= 0) s = s.slice(lt + 1, s.indexOf(">", lt) >= 0 ? s.indexOf(">", lt) : void 0);
  s = s.split(";")[0].split("?")[0];
  const m = /^(sips?):([^@]+)@(.+)$/i.exec(s);
  if (!m) return s;
  const host = m[3].toLowerCase().replace(/:5060$/, "");
  return `${m[1].toLowerCase()}:${m[2]}@${host}`;
}
var DeviceRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "devices", ["id"], {
      id: "text",
      kind: "text",
      ownerUser: "text",
      sipUsername: "text",
      aor: "text",
      css: "text",
      rerouteCss: "text",
      devicePool: "text",
      userHoldAudioSource: "text",
      networkHoldAudioSource: "text",
      capabilities: "json",
      videoCapable: "bool",
      dndEnabled: "bool",
      hasCellularRadio: "bool",
      dvoEnabled: "bool",
      dvoForwardCapable: "bool",
      transferToMobileNetwork: "text",
      emergencyNumbers: "json"
    });
  }
  ctx;
  t;
  linesOf(id2) {
    return this.ctx.stmt("SELECT line_id FROM device_lines WHERE device_id = ? ORDER BY ord").all(id2).map((r) => r.line_id);
  }
  toDevice(r) {
    const common = {
      id: r.id,
      ownerUser: r.ownerUser,
      sipUsername: r.sipUsername,
      aor: r.aor,
      css: r.css,
      devicePool: r.devicePool,
      userHoldAudioSource: r.userHoldAudioSource,
      networkHoldAudioSource: r.networkHoldAudioSource,
      lines: this.linesOf(r.id)
    };
    if (r.kind === "desk") return { ...common, kind: "desk", capabilities: { ...DEFAULT_CAPS, ...r.capabilities ?? {} }, videoCapable: r.videoCapable };
    return {
      ...common,
      kind: "mobileClient",
      rerouteCss: r.rerouteCss,
      dndEnabled: r.dndEnabled,
      hasCellularRadio: r.hasCellularRadio,
      dvoEnabled: r.dvoEnabled,
      dvoForwardCapable: r.dvoForwardCapable,
      transferToMobileNetwork: r.transferToMobileNetwork,
      emergencyNumbers: r.emergencyNumbers
    };
  }
  check(r, lines) {
    checkNonEmpty("id", r.id);
    checkOneOf("kind", r.kind, ["desk", "mobileClient"]);
    requireRef(this.ctx, "users", "user_id", r.ownerUser, "ownerUser");
    requireRef(this.ctx, "css", "name", r.css, "css");
    requireRef(this.ctx, "css", "name", r.rerouteCss, "rerouteCss");
    checkOneOf("transferToMobileNetwork", r.transferToMobileNetwork, ["useMobilitySoftkey", "useHandoffNumber"]);
    r.emergencyNumbers.forEach((n, i) => checkDialString(`emergencyNumbers[${i}]`, n));
    if (new Set(lines).size !== lines.length) throw invalid("lines: listed twice");
    lines.forEach((l, i) => requireRef(this.ctx, "lines", "id", l, `lines[${i}]`));
    if (r.kind === "mobileClient") {
      if (!r.ownerUser) throw invalid("ownerUser: a mobile client device needs an owner user");
      const owner = this.ctx.stmt("SELECT enable_mobility FROM users WHERE user_id = ?").get(r.ownerUser);
      if (!owner.enable_mobility) throw invalid(`ownerUser: user "${r.ownerUser}" does not have enableMobility`);
      if (lines.length === 0) throw invalid("lines: a mobile client device needs at least one line");
      if (r.dvoForwardCapable && !r.dvoEnabled) throw invalid("dvoForwardCapable: needs dvoEnabled");
      if (!r.hasCellularRadio && (r.dvoEnabled || this.hasMi(r.id))) throw invalid("hasCellularRadio: a device without cellular radio cannot have DVO or a mobility identity (DM-01)");
      if (r.dvoEnabled && this.hasMi(r.id)) this.checkOneActiveClient(r.id, r.ownerUser);
    }
  }
  hasMi(deviceId) {
    return this.ctx.stmt("SELECT 1 FROM remote_destinations WHERE device_id = ? AND is_mobility_identity = 1").get(deviceId) !== void 0;
  }
  /** D-26 / DM-07: at most one DVO-enabled device with an MI per user. */
  checkOneActiveClient(deviceId, ownerUser) {
    const other = this.ctx.stmt(
      `SELECT d.id FROM devices d JOIN remote_destinations r ON r.device_id = d.id AND r.is_mobility_identity = 1
         WHERE d.owner_user = ? AND d.dvo_enabled = 1 AND d.id <> ? LIMIT 1`
    ).get(ownerUser, deviceId);
    if (other) throw invalid(`user "${ownerUser}" already has a DVO-enabled device with a mobility identity ("${other.id}") (D-26)`);
  }
  setLines(id2, lines) {
    this.ctx.stmt("DELETE FROM device_lines WHERE device_id = ?").run(id2);
    const ins = this.ctx.stmt("INSERT INTO device_lines (device_id, line_id, ord) VALUES (?, ?, ?)");
    lines.forEach((l, i) => ins.run(id2, l, i));
  }
  create(input) {
    const row = {
      id: input.id,
      kind: input.kind,
      ownerUser: input.ownerUser ?? null,
      sipUsername: input.sipUsername ?? null,
      aor: input.aor ? normaliseAor(input.aor) : null,
      css: input.css ?? null,
      rerouteCss: input.kind === "mobileClient" ? input.rerouteCss ?? null : null,
      devicePool: input.devicePool ?? null,
      userHoldAudioSource: input.userHoldAudioSource ?? null,
      networkHoldAudioSource: input.networkHoldAudioSource ?? null,
      capabilities: input.kind === "desk" ? { ...DEFAULT_CAPS, ...input.capabilities ?? {} } : null,
      videoCapable: input.kind === "desk" ? input.videoCapable ?? false : false,
      dndEnabled: input.kind === "mobileClient" ? input.dndEnabled ?? false : false,
      hasCellularRadio: input.kind === "mobileClient" ? input.hasCellularRadio ?? true : false,
      dvoEnabled: input.kind === "mobileClient" ? input.dvoEnabled ?? false : false,
      dvoForwardCapable: input.kind === "mobileClient" ? input.dvoForwardCapable ?? false : false,
      transferToMobileNetwork: input.kind === "mobileClient" ? input.transferToMobileNetwork ?? "useMobilitySoftkey" : "useMobilitySoftkey",
      emergencyNumbers: input.kind === "mobileClient" ? [...input.emergencyNumbers ?? []] : []
    };
    const lines = [...input.lines ?? []];
    this.check(row, lines);
    this.ctx.tx(() => {
      guard(`device "${row.id}"`, () => this.t.insert(row));
      this.setLines(row.id, lines);
    });
    return this.get(row.id);
  }
  get(id2) {
    const r = this.t.get(id2);
    return r ? this.toDevice(r) : void 0;
  }
  findBySipUsername(username) {
    const r = this.t.one("sipUsername", username);
    return r ? this.toDevice(r) : void 0;
  }
  findByAor(aor) {
    const r = this.t.one("aor", normaliseAor(aor));
    return r ? this.toDevice(r) : void 0;
  }
  list(filter = {}) {
    let rows = filter.ownerUser !== void 0 ? this.t.where("ownerUser", filter.ownerUser) : this.t.all();
    if (filter.kind) rows = rows.filter((r) => r.kind === filter.kind);
    return rows.map((r) => this.toDevice(r));
  }
  /** Devices that carry a line (shared-line appearances). */
  onLine(lineId) {
    const ids = this.ctx.stmt("SELECT device_id FROM device_lines WHERE line_id = ? ORDER BY rowid").all(lineId);
    return ids.map((r) => this.get(r.device_id));
  }
  update(id2, patch) {
    const cur = this.t.get(id2);
    if (!cur) throw notFound("device", id2);
    const { lines, capabilities, ...rest } = patch;
    const row = { ...cur, ...defined(rest), id: id2, kind: cur.kind };
    if (rest.aor) row.aor = normaliseAor(rest.aor);
    if (capabilities && cur.kind === "desk") row.capabilities = { ...DEFAULT_CAPS, ...cur.capabilities ?? {}, ...capabilities };
    const newLines = lines ? [...lines] : this.linesOf(id2);
    this.check(row, newLines);
    this.ctx.tx(() => {
      guard(`device "${id2}"`, () => this.t.update(row));
      if (lines) this.setLines(id2, newLines);
    });
    this.ctx.changed("remoteDestinations");
    return this.get(id2);
  }
  delete(id2) {
    const ok = guard(`device "${id2}"`, () => this.t.delete(id2));
    if (ok) this.ctx.changed("remoteDestinations");
    return ok;
  }
};
var CredentialRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "sip_credentials", ["username", "realm"], {
      username: "text",
      realm: "text",
      ha1Md5: "text",
      ha1Sha256: "text",
      deviceId: "text"
    });
  }
  ctx;
  t;
  /** Stores HA1 (MD5 and SHA-256) for username@realm; the password itself is discarded. */
  set(username, realm, password2, deviceId = null) {
    checkNonEmpty("username", username);
    checkNonEmpty("realm", realm);
    if (password2 === "") throw invalid("password: must not be empty");
    if (/[:"\\]/.test(username)) throw invalid('username: must not contain : " or \\');
    requireRef(this.ctx, "devices", "id", deviceId, "deviceId");
    guard(
      `credentials for ${username}`,
      () => this.t.upsert({
        username,
        realm,
        ha1Md5: computeHa1(username, realm, password2, "MD5"),
        ha1Sha256: computeHa1(username, realm, password2, "SHA-256"),
        deviceId
      })
    );
    return { username, realm, deviceId };
  }
  getHa1(username, realm, algorithm) {
    const r = this.t.get(username, realm);
    if (!r) return void 0;
    return algorithm === "MD5" ? r.ha1Md5 : r.ha1Sha256;
  }
  /** Which device the credentials belong to. */
  get(username, realm) {
    const r = this.t.get(username, realm);
    return r ? { username: r.username, realm: r.realm, deviceId: r.deviceId } : void 0;
  }
  list() {
    return this.t.all().map((r) => ({ username: r.username, realm: r.realm, deviceId: r.deviceId }));
  }
  delete(username, realm) {
    if (realm !== void 0) return this.t.delete(username, realm);
    return this.ctx.stmt("DELETE FROM sip_credentials WHERE username = ?").run(username).changes > 0;
  }
};

// src/directory/repos/profiles.ts
import { randomUUID as randomUUID2 } from "node:crypto";
var RdProfileRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "rd_profiles", ["id"], {
      id: "text",
      name: "text",
      ownerUser: "text",
      css: "text",
      rerouteCss: "text",
      devicePool: "text",
      userHoldAudioSource: "text",
      networkHoldAudioSource: "text",
      dndEnabled: "bool"
    });
  }
  ctx;
  t;
  linesOf(id2) {
    return this.ctx.stmt("SELECT line_id FROM rd_profile_lines WHERE profile_id = ? ORDER BY ord").all(id2).map((r) => r.line_id);
  }
  check(p) {
    checkNonEmpty("id", p.id);
    requireRef(this.ctx, "users", "user_id", p.ownerUser, "ownerUser");
    requireRef(this.ctx, "css", "name", p.css, "css");
    requireRef(this.ctx, "css", "name", p.rerouteCss, "rerouteCss");
    if (new Set(p.lines).size !== p.lines.length) throw invalid("lines: listed twice");
    p.lines.forEach((l, i) => requireRef(this.ctx, "lines", "id", l, `lines[${i}]`));
  }
  setLines(id2, lines) {
    this.ctx.stmt("DELETE FROM rd_profile_lines WHERE profile_id = ?").run(id2);
    const ins = this.ctx.stmt("INSERT INTO rd_profile_lines (profile_id, line_id, ord) VALUES (?, ?, ?)");
    lines.forEach((l, i) => ins.run(id2, l, i));
  }
  create(input) {
    const p = {
      id: input.id ?? randomUUID2(),
      name: input.name,
      ownerUser: input.ownerUser,
      lines: [...input.lines ?? []],
      css: input.css ?? null,
      rerouteCss: input.rerouteCss ?? null,
      devicePool: input.devicePool ?? null,
      userHoldAudioSource: input.userHoldAudioSource ?? null,
      networkHoldAudioSource: input.networkHoldAudioSource ?? null,
      dndEnabled: input.dndEnabled ?? false
    };
    this.check(p);
    const { lines, ...row } = p;
    this.ctx.tx(() => {
      guard(`rd profile "${p.id}"`, () => this.t.insert(row));
      this.setLines(p.id, lines);
    });
    return p;
  }
  get(id2) {
    const r = this.t.get(id2);
    return r ? { ...r, lines: this.linesOf(id2) } : void 0;
  }
  list(ownerUser) {
    const rows = ownerUser !== void 0 ? this.t.where("ownerUser", ownerUser) : this.t.all();
    return rows.map((r) => ({ ...r, lines: this.linesOf(r.id) }));
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("rd profile", id2);
    const p = { ...cur, ...defined(patch), id: id2 };
    this.check(p);
    const { lines, ...row } = p;
    this.ctx.tx(() => {
      guard(`rd profile "${id2}"`, () => this.t.update(row));
      if (patch.lines) this.setLines(id2, lines);
    });
    this.ctx.changed("remoteDestinations");
    return p;
  }
  /** Deletes the profile and (cascade) its remote destinations. */
  delete(id2) {
    const ok = guard(`rd profile "${id2}"`, () => this.t.delete(id2));
    if (ok) this.ctx.changed("remoteDestinations");
    return ok;
  }
};
var MobilityProfileRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "mobility_profiles", ["id"], {
      id: "text",
      name: "text",
      dvoRCallbackCallerId: "text",
      mobileClientCallingOption: "text"
    });
  }
  ctx;
  t;
  check(p) {
    checkNonEmpty("id", p.id);
    if (p.dvoRCallbackCallerId !== null && p.dvoRCallbackCallerId !== "" && !/^\+?[0-9*#A-D]{1,24}$/.test(p.dvoRCallbackCallerId)) {
      throw invalid(`dvoRCallbackCallerId: "${p.dvoRCallbackCallerId}" is not a dialable number`);
    }
  }
  create(input) {
    const p = {
      id: input.id ?? randomUUID2(),
      name: input.name,
      dvoRCallbackCallerId: input.dvoRCallbackCallerId ?? null,
      mobileClientCallingOption: input.mobileClientCallingOption ?? null
    };
    this.check(p);
    guard(`mobility profile "${p.id}"`, () => this.t.insert(p));
    return p;
  }
  get(id2) {
    return this.t.get(id2);
  }
  list() {
    return this.t.all();
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("mobility profile", id2);
    const p = { ...cur, ...defined(patch), id: id2 };
    this.check(p);
    this.t.update(p);
    return p;
  }
  delete(id2) {
    return guard(`mobility profile "${id2}"`, () => this.t.delete(id2));
  }
};
var MEMBER_KINDS = ["number", "mask", "notAvailable", "private"];
var AccessListRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "access_lists", ["id"], { id: "text", name: "text", ownerUser: "text", type: "text" });
  }
  ctx;
  t;
  membersOf(id2) {
    return this.ctx.stmt("SELECT kind, value FROM access_list_members WHERE list_id = ? ORDER BY ord").all(id2);
  }
  check(l) {
    checkNonEmpty("id", l.id);
    requireRef(this.ctx, "users", "user_id", l.ownerUser, "ownerUser");
    checkOneOf("type", l.type, ["allowed", "blocked"]);
    l.members.forEach((m, i) => {
      checkOneOf(`members[${i}].kind`, m.kind, MEMBER_KINDS);
      if (m.kind === "number" && !/^\+?[0-9*#]{1,32}$/.test(m.value ?? "")) throw invalid(`members[${i}].value: must be a number`);
      if (m.kind === "mask" && !/^\+?[0-9X*#]{1,32}$/.test(m.value ?? "")) throw invalid(`members[${i}].value: must be a mask of digits and X`);
    });
  }
  setMembers(id2, members) {
    this.ctx.stmt("DELETE FROM access_list_members WHERE list_id = ?").run(id2);
    const ins = this.ctx.stmt("INSERT INTO access_list_members (list_id, ord, kind, value) VALUES (?, ?, ?, ?)");
    members.forEach((m, i) => ins.run(id2, i, m.kind, m.kind === "number" || m.kind === "mask" ? m.value : null));
  }
  create(input) {
    const l = {
      id: input.id ?? randomUUID2(),
      name: input.name,
      ownerUser: input.ownerUser,
      type: input.type,
      members: (input.members ?? []).map((m) => ({ kind: m.kind, value: m.value ?? null }))
    };
    this.check(l);
    const { members, ...row } = l;
    this.ctx.tx(() => {
      guard(`access list "${l.id}"`, () => this.t.insert(row));
      this.setMembers(l.id, members);
    });
    return this.get(l.id);
  }
  get(id2) {
    const r = this.t.get(id2);
    return r ? { ...r, members: this.membersOf(id2) } : void 0;
  }
  list(ownerUser) {
    const rows = ownerUser !== void 0 ? this.t.where("ownerUser", ownerUser) : this.t.all();
    return rows.map((r) => ({ ...r, members: this.membersOf(r.id) }));
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("access list", id2);
    const l = { ...cur, ...defined(patch), id: id2 };
    l.members = l.members.map((m) => ({ kind: m.kind, value: m.value ?? null }));
    this.check(l);
    const { members, ...row } = l;
    this.ctx.tx(() => {
      guard(`access list "${id2}"`, () => this.t.update(row));
      if (patch.members) this.setMembers(id2, members);
    });
    return this.get(id2);
  }
  delete(id2) {
    return guard(`access list "${id2}"`, () => this.t.delete(id2));
  }
};
var DAYS2 = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
function checkEntries(entries) {
  const hhmm2 = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
  entries.forEach((e, i) => {
    if (!Array.isArray(e.days) || e.days.length === 0) throw invalid(`entries[${i}].days: must list at least one day`);
    e.days.forEach((d) => checkOneOf(`entries[${i}].days`, d, DAYS2));
    if (!hhmm2.test(e.start)) throw invalid(`entries[${i}].start: must be HH:MM (got "${e.start}")`);
    if (!hhmm2.test(e.end)) throw invalid(`entries[${i}].end: must be HH:MM (got "${e.end}")`);
    if (e.end <= e.start) throw invalid(`entries[${i}]: end must be after start`);
  });
}
var RingScheduleRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "ring_schedules", ["id"], { id: "text", name: "text", ownerUser: "text", entries: "json" });
  }
  ctx;
  t;
  create(input) {
    const s = { id: input.id ?? randomUUID2(), name: input.name, ownerUser: input.ownerUser ?? null, entries: input.entries };
    checkNonEmpty("id", s.id);
    requireRef(this.ctx, "users", "user_id", s.ownerUser, "ownerUser");
    checkEntries(s.entries);
    guard(`ring schedule "${s.id}"`, () => this.t.insert(s));
    return s;
  }
  get(id2) {
    return this.t.get(id2);
  }
  list(ownerUser) {
    return ownerUser !== void 0 ? this.t.where("ownerUser", ownerUser) : this.t.all();
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("ring schedule", id2);
    const s = { ...cur, ...defined(patch), id: id2 };
    requireRef(this.ctx, "users", "user_id", s.ownerUser, "ownerUser");
    checkEntries(s.entries);
    this.t.update(s);
    return s;
  }
  delete(id2) {
    return guard(`ring schedule "${id2}"`, () => this.t.delete(id2));
  }
};

// src/directory/repos/remote-destinations.ts
import { randomUUID as randomUUID3 } from "node:crypto";
var MAX_RDS_PER_USER = 10;
function toRd(r) {
  const parent = r.deviceId !== null ? { kind: "mobileClient", id: r.deviceId } : { kind: "rdProfile", id: r.rdProfileId };
  const accessPolicy2 = r.accessPolicy === "allowedList" ? { allowedList: r.accessList } : r.accessPolicy === "blockedList" ? { blockedList: r.accessList } : "always";
  return {
    id: r.id,
    name: r.name,
    number: r.number,
    isMobilityIdentity: r.isMobilityIdentity,
    parent,
    mobilityProfile: r.mobilityProfile,
    ownerUser: r.ownerUser,
    enableSnr: r.enableSnr,
    mobilePhone: r.mobilePhone,
    delayBeforeRingingMs: r.delayBeforeRingingMs,
    answerTooSoonMs: r.answerTooSoonMs,
    answerTooLateMs: r.answerTooLateMs,
    snrVoicemailPolicy: r.snrVoicemailPolicy,
    ringSchedule: r.ringSchedule,
    accessPolicy: accessPolicy2
  };
}
function numberKey(number) {
  return normaliseNumber(number) ?? number.trim().toLowerCase();
}
var RemoteDestinationRepo = class {
  constructor(ctx, devices) {
    this.ctx = ctx;
    this.devices = devices;
    this.t = new Table(ctx.db, "remote_destinations", ["id"], {
      id: "text",
      name: "text",
      number: "text",
      numberNorm: "text",
      isMobilityIdentity: "bool",
      rdProfileId: "text",
      deviceId: "text",
      mobilityProfile: "text",
      ownerUser: "text",
      enableSnr: "bool",
      mobilePhone: "bool",
      delayBeforeRingingMs: "int",
      answerTooSoonMs: "int",
      answerTooLateMs: "int",
      snrVoicemailPolicy: "text",
      ringSchedule: "text",
      accessPolicy: "text",
      accessList: "text"
    });
  }
  ctx;
  devices;
  t;
  matchOptions() {
    const m = this.ctx.mobility();
    return { mode: m.matchCallerIdWithRemoteDestination, digits: m.callerIdPartialMatchDigits };
  }
  ownerOfParent(parent) {
    if (parent.kind === "rdProfile") {
      const r = this.ctx.stmt("SELECT owner_user FROM rd_profiles WHERE id = ?").get(parent.id);
      if (!r) throw invalid(`parent: rd profile "${parent.id}" does not exist`);
      return r.owner_user;
    }
    if (parent.kind !== "mobileClient") throw invalid("parent.kind: must be rdProfile or mobileClient");
    const d = this.devices.get(parent.id);
    if (!d || d.kind !== "mobileClient") throw invalid(`parent: mobile client device "${parent.id}" does not exist`);
    if (!d.ownerUser) throw invalid(`parent: device "${parent.id}" has no owner user`);
    return d.ownerUser;
  }
  /** Validates `rd` (with `existingId` excluded from uniqueness checks); returns CID-05 warnings. */
  check(rd, existingId) {
    checkNonEmpty("id", rd.id);
    checkNonEmpty("number", rd.number);
    const owner = this.ownerOfParent(rd.parent);
    if (rd.ownerUser !== owner) throw invalid(`ownerUser: must be the parent's owner "${owner}"`);
    const user2 = this.ctx.stmt("SELECT enable_mobility FROM users WHERE user_id = ?").get(owner);
    if (!user2) throw invalid(`ownerUser: "${owner}" does not exist`);
    if (!user2.enable_mobility) throw invalid(`ownerUser: user "${owner}" does not have enableMobility`);
    for (const f of ["delayBeforeRingingMs", "answerTooSoonMs", "answerTooLateMs"]) checkInt(f, rd[f], 0, 6e4);
    checkOneOf("snrVoicemailPolicy", rd.snrVoicemailPolicy, ["useSystemDefault", "timerControl", "userControl"]);
    requireRef(this.ctx, "ring_schedules", "id", rd.ringSchedule, "ringSchedule");
    requireRef(this.ctx, "mobility_profiles", "id", rd.mobilityProfile, "mobilityProfile");
    if (rd.mobilityProfile !== null && !rd.isMobilityIdentity) throw invalid("mobilityProfile: allowed only on a mobility identity");
    if (rd.accessPolicy !== "always") {
      const [type, listId] = "allowedList" in rd.accessPolicy ? ["allowed", rd.accessPolicy.allowedList] : ["blocked", rd.accessPolicy.blockedList];
      const l = this.ctx.stmt("SELECT type, owner_user FROM access_lists WHERE id = ?").get(listId);
      if (!l) throw invalid(`accessPolicy: access list "${listId}" does not exist`);
      if (l.type !== type) throw invalid(`accessPolicy: access list "${listId}" is of type ${l.type}, not ${type}`);
      if (l.owner_user !== owner) throw invalid(`accessPolicy: access list "${listId}" belongs to another user`);
    }
    if (rd.isMobilityIdentity) {
      if (rd.parent.kind !== "mobileClient") throw invalid("parent: a mobility identity must belong to a mobile client device");
      const d = this.devices.get(rd.parent.id);
      if (d?.kind === "mobileClient") {
        if (!d.hasCellularRadio) throw invalid(`parent: device "${d.id}" has no cellular radio (DM-01)`);
        if (d.dvoEnabled) this.devices.checkOneActiveClient(d.id, owner);
      }
      const otherMi = this.ctx.stmt("SELECT id FROM remote_destinations WHERE device_id = ? AND is_mobility_identity = 1 AND id <> ?").get(rd.parent.id, existingId ?? "");
      if (otherMi) throw invalid(`parent: device "${rd.parent.id}" already has mobility identity "${otherMi.id}"`);
    }
    const count = this.ctx.stmt("SELECT COUNT(*) AS n FROM remote_destinations WHERE owner_user = ? AND id <> ?").get(owner, existingId ?? "").n;
    if (count >= MAX_RDS_PER_USER) throw invalid(`user "${owner}" already has ${MAX_RDS_PER_USER} remote destinations (SNR-03)`);
    const key2 = numberKey(rd.number);
    const dn = this.ctx.stmt("SELECT id, number FROM lines WHERE number = ? OR did = ? LIMIT 1").get(key2, key2);
    if (dn) throw invalid(`number: ${rd.number} is a directory number of this server (line ${dn.number})`);
    const digits = key2.replace(/\+/g, "");
    const mvaUser = this.ctx.stmt("SELECT user_id FROM users WHERE mva_numeric_id = ?").get(digits);
    if (mvaUser) throw invalid(`number: its digits equal the MVA numeric ID of user "${mvaUser.user_id}" (D-47)`);
    const others = this.ctx.stmt("SELECT id, number FROM remote_destinations WHERE id <> ?").all(existingId ?? "");
    const res = checkRemoteDestinationNumber(rd.number, others, this.matchOptions());
    if (res.errors.length) {
      const dup = res.errors.some((e) => e.includes("already exists"));
      throw new DirectoryError(dup ? "conflict" : "invalid", `number: ${res.errors.join("; ")}`);
    }
    return res.warnings;
  }
  toRow(rd) {
    const ap = rd.accessPolicy;
    return {
      id: rd.id,
      name: rd.name,
      number: rd.number,
      numberNorm: numberKey(rd.number),
      isMobilityIdentity: rd.isMobilityIdentity,
      rdProfileId: rd.parent.kind === "rdProfile" ? rd.parent.id : null,
      deviceId: rd.parent.kind === "mobileClient" ? rd.parent.id : null,
      mobilityProfile: rd.mobilityProfile,
      ownerUser: rd.ownerUser,
      enableSnr: rd.enableSnr,
      mobilePhone: rd.mobilePhone,
      delayBeforeRingingMs: rd.delayBeforeRingingMs,
      answerTooSoonMs: rd.answerTooSoonMs,
      answerTooLateMs: rd.answerTooLateMs,
      snrVoicemailPolicy: rd.snrVoicemailPolicy,
      ringSchedule: rd.ringSchedule,
      accessPolicy: ap === "always" ? "always" : "allowedList" in ap ? "allowedList" : "blockedList",
      accessList: ap === "always" ? null : "allowedList" in ap ? ap.allowedList : ap.blockedList
    };
  }
  create(input) {
    const m = this.ctx.mobility();
    const rd = {
      id: input.id ?? randomUUID3(),
      name: input.name ?? "",
      number: input.number.trim(),
      isMobilityIdentity: input.isMobilityIdentity ?? false,
      parent: input.parent,
      mobilityProfile: input.mobilityProfile ?? null,
      ownerUser: input.ownerUser ?? this.ownerOfParent(input.parent),
      enableSnr: input.enableSnr ?? true,
      mobilePhone: input.mobilePhone ?? false,
      delayBeforeRingingMs: input.delayBeforeRingingMs ?? m.delayBeforeRingingMs,
      answerTooSoonMs: input.answerTooSoonMs ?? m.answerTooSoonMs,
      answerTooLateMs: input.answerTooLateMs ?? m.answerTooLateMs,
      snrVoicemailPolicy: input.snrVoicemailPolicy ?? m.snrVoicemailPolicy,
      ringSchedule: input.ringSchedule ?? null,
      accessPolicy: input.accessPolicy ?? "always"
    };
    const warnings = this.ctx.tx(() => {
      const w = this.check(rd, null);
      guard(`remote destination ${rd.number}`, () => this.t.insert(this.toRow(rd)));
      return w;
    });
    this.ctx.changed("remoteDestinations");
    return { record: rd, warnings };
  }
  get(id2) {
    const r = this.t.get(id2);
    return r ? toRd(r) : void 0;
  }
  /** RDs and MIs of a user (spec "list RDs of a user"). */
  listByUser(userId) {
    return this.t.where("ownerUser", userId).map(toRd);
  }
  list() {
    return this.t.all().map(toRd);
  }
  /** The MI of a mobile-client device, if any. */
  mobilityIdentityOf(deviceId) {
    const row = this.ctx.stmt("SELECT * FROM remote_destinations WHERE device_id = ? AND is_mobility_identity = 1").get(deviceId);
    return row ? toRd(this.t.fromRow(row)) : void 0;
  }
  /** Exact stored-number lookup (complete-match form), independent of the matching mode. */
  findByStoredNumber(number) {
    const r = this.t.one("numberNorm", numberKey(number));
    return r ? toRd(r) : void 0;
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("remote destination", id2);
    const rd = { ...cur, ...defined(patch), id: id2, parent: cur.parent, ownerUser: cur.ownerUser };
    if (patch.number !== void 0) rd.number = patch.number.trim();
    const warnings = this.ctx.tx(() => {
      const w = this.check(rd, id2);
      guard(`remote destination ${rd.number}`, () => this.t.update(this.toRow(rd)));
      return w;
    });
    this.ctx.changed("remoteDestinations");
    return { record: rd, warnings };
  }
  delete(id2) {
    const ok = guard(`remote destination "${id2}"`, () => this.t.delete(id2));
    if (ok) this.ctx.changed("remoteDestinations");
    return ok;
  }
};

// src/directory/repos/trunks.ts
import { randomUUID as randomUUID4 } from "node:crypto";
var TRANSPORTS2 = ["udp", "tcp", "tls"];
var DTMF = ["rfc4733", "info", "kpml", "inband"];
function toRegistration(r) {
  if (!r) return null;
  return { aor: r.aor, registrar: r.registrar ?? null, expiresS: r.expiresS ?? 3600 };
}
function toAuth(a) {
  if (!a) return null;
  checkNonEmpty("auth.username", a.username);
  checkNonEmpty("auth.realm", a.realm);
  if ("password" in a) {
    return {
      username: a.username,
      realm: a.realm,
      ha1Md5: computeHa1(a.username, a.realm, a.password, "MD5"),
      ha1Sha256: computeHa1(a.username, a.realm, a.password, "SHA-256")
    };
  }
  if (!/^[0-9a-f]{32}$/.test(a.ha1Md5) || !/^[0-9a-f]{64}$/.test(a.ha1Sha256)) throw invalid("auth: ha1Md5/ha1Sha256 must be hex digests");
  return { username: a.username, realm: a.realm, ha1Md5: a.ha1Md5, ha1Sha256: a.ha1Sha256 };
}
function checkGateway(field, g) {
  checkNonEmpty(`${field}.peerHost`, g.peerHost);
  checkInt(`${field}.port`, g.port, 1, 65535);
  checkOneOf(`${field}.transport`, g.transport, TRANSPORTS2);
}
var TrunkRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "trunks", ["id"], {
      id: "text",
      name: "text",
      peerHost: "text",
      port: "int",
      transport: "text",
      trusted: "bool",
      inboundCss: "text",
      inboundRules: "json",
      outboundRules: "json",
      dtmfMode: "json",
      sendDiversionOnMobilityForks: "bool",
      mobilityForkCallingIdentity: "text",
      answerSupervision: "bool",
      maxConcurrentCalls: "int",
      mediaRelay: "text",
      registration: "json",
      auth: "json",
      alternates: "json"
    });
  }
  ctx;
  t;
  check(t) {
    checkNonEmpty("id", t.id);
    checkGateway("trunk", t);
    requireRef(this.ctx, "css", "name", t.inboundCss, "inboundCss");
    const problems = [...validateNumberRules(t.inboundRules, "inboundRules"), ...validateNumberRules(t.outboundRules, "outboundRules")];
    if (problems.length) throw invalid(problems.join("; "));
    if (!Array.isArray(t.dtmfMode) || t.dtmfMode.length === 0) throw invalid("dtmfMode: needs at least one of " + DTMF.join(", "));
    t.dtmfMode.forEach((m, i) => checkOneOf(`dtmfMode[${i}]`, m, DTMF));
    checkOneOf("mobilityForkCallingIdentity", t.mobilityForkCallingIdentity, ["original", "enterpriseDid"]);
    checkOneOf("mediaRelay", t.mediaRelay, ["always", "whenNeeded", "never"]);
    checkInt("maxConcurrentCalls", t.maxConcurrentCalls, 1, 1e6);
    t.alternates.forEach((g, i) => checkGateway(`alternates[${i}]`, g));
    if (t.registration) {
      checkNonEmpty("registration.aor", t.registration.aor);
      checkInt("registration.expiresS", t.registration.expiresS, 60, 86400);
    }
  }
  create(input) {
    const t = {
      id: input.id,
      name: input.name ?? input.id,
      peerHost: input.peerHost,
      port: input.port ?? 5060,
      transport: input.transport ?? "udp",
      trusted: input.trusted ?? false,
      inboundCss: input.inboundCss ?? null,
      inboundRules: input.inboundRules ?? [],
      outboundRules: input.outboundRules ?? [],
      dtmfMode: input.dtmfMode ?? ["rfc4733"],
      sendDiversionOnMobilityForks: input.sendDiversionOnMobilityForks ?? false,
      mobilityForkCallingIdentity: input.mobilityForkCallingIdentity ?? "original",
      answerSupervision: input.answerSupervision ?? true,
      maxConcurrentCalls: input.maxConcurrentCalls ?? null,
      mediaRelay: input.mediaRelay ?? "whenNeeded",
      registration: toRegistration(input.registration),
      auth: toAuth(input.auth),
      alternates: input.alternates ?? []
    };
    this.check(t);
    guard(`trunk "${t.id}"`, () => this.t.insert(t));
    this.ctx.changed("trunks");
    return t;
  }
  get(id2) {
    return this.t.get(id2);
  }
  list() {
    return this.t.all();
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("trunk", id2);
    const { auth, registration, ...rest } = patch;
    const t = { ...cur, ...defined(rest), id: id2 };
    if (auth !== void 0) t.auth = toAuth(auth);
    if (registration !== void 0) t.registration = toRegistration(registration);
    this.check(t);
    this.t.update(t);
    this.ctx.changed("trunks");
    return t;
  }
  /** Refused while a route pattern sends calls to the trunk. */
  delete(id2) {
    const used = this.ctx.stmt("SELECT id FROM route_patterns WHERE target_kind = 'trunk' AND target_id = ? LIMIT 1").get(id2);
    if (used) throw new DirectoryError("in_use", `trunk "${id2}" is the target of route pattern "${used.id}"`);
    const ok = this.t.delete(id2);
    if (ok) this.ctx.changed("trunks");
    return ok;
  }
};
var RoutePatternRepo = class _RoutePatternRepo {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "route_patterns", ["id"], {
      id: "text",
      partition: "text",
      pattern: "text",
      targetKind: "text",
      targetId: "text",
      targetArg: "text",
      stripPreDot: "bool",
      prefix: "text",
      description: "text"
    });
  }
  ctx;
  t;
  static toPattern(r) {
    const target = r.targetKind === "feature" ? { kind: "feature", id: r.targetId, ...r.targetArg !== null ? { arg: r.targetArg } : {} } : { kind: r.targetKind, id: r.targetId };
    return { id: r.id, partition: r.partition, pattern: r.pattern, target, stripPreDot: r.stripPreDot, prefix: r.prefix, description: r.description };
  }
  check(p) {
    checkNonEmpty("id", p.id);
    const bad2 = validatePattern(p.pattern);
    if (bad2) throw invalid(`pattern: ${bad2}`);
    requireRef(this.ctx, "partitions", "name", p.partition, "partition");
    checkOneOf("target.kind", p.target.kind, ["trunk", "line", "feature"]);
    checkNonEmpty("target.id", p.target.id);
    if (p.target.kind === "trunk") requireRef(this.ctx, "trunks", "id", p.target.id, "target.id");
    if (p.target.kind === "line") requireRef(this.ctx, "lines", "id", p.target.id, "target.id");
    if (!/^\+?[0-9*#]*$/.test(p.prefix)) throw invalid(`prefix: "${p.prefix}" is not a dial string`);
  }
  toRow(p) {
    return {
      id: p.id,
      partition: p.partition,
      pattern: p.pattern,
      targetKind: p.target.kind,
      targetId: p.target.id,
      targetArg: p.target.kind === "feature" ? p.target.arg ?? null : null,
      stripPreDot: p.stripPreDot,
      prefix: p.prefix,
      description: p.description
    };
  }
  create(input) {
    const p = {
      id: input.id ?? randomUUID4(),
      partition: input.partition,
      pattern: input.pattern,
      target: input.target,
      stripPreDot: input.stripPreDot ?? false,
      prefix: input.prefix ?? "",
      description: input.description ?? ""
    };
    this.check(p);
    guard(`route pattern ${p.pattern} in ${p.partition}`, () => this.t.insert(this.toRow(p)));
    this.ctx.changed("dialPlan");
    return p;
  }
  get(id2) {
    const r = this.t.get(id2);
    return r ? _RoutePatternRepo.toPattern(r) : void 0;
  }
  list(partition2) {
    const rows = partition2 !== void 0 ? this.t.where("partition", partition2) : this.t.all();
    return rows.map(_RoutePatternRepo.toPattern);
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("route pattern", id2);
    const p = { ...cur, ...defined(patch), id: id2 };
    this.check(p);
    guard(`route pattern ${p.pattern}`, () => this.t.update(this.toRow(p)));
    this.ctx.changed("dialPlan");
    return p;
  }
  delete(id2) {
    const ok = this.t.delete(id2);
    if (ok) this.ctx.changed("dialPlan");
    return ok;
  }
};
var MAX_PARK_RANGE = 1e4;
var DirectedParkRepo = class {
  constructor(ctx) {
    this.ctx = ctx;
    this.t = new Table(ctx.db, "directed_parks", ["id"], {
      id: "text",
      firstNumber: "text",
      lastNumber: "text",
      retrievalPrefix: "text",
      partition: "text",
      reversionTimeoutS: "int"
    });
  }
  ctx;
  t;
  check(p) {
    checkNonEmpty("id", p.id);
    if (!/^[0-9]{1,16}$/.test(p.firstNumber) || !/^[0-9]{1,16}$/.test(p.lastNumber) || p.firstNumber.length !== p.lastNumber.length) {
      throw invalid("firstNumber/lastNumber: must be digit strings of the same length");
    }
    const size = Number(p.lastNumber) - Number(p.firstNumber) + 1;
    if (size < 1 || size > MAX_PARK_RANGE) throw invalid(`lastNumber: range must hold 1 to ${MAX_PARK_RANGE} numbers`);
    if (!/^[0-9*#]{1,8}$/.test(p.retrievalPrefix)) throw invalid("retrievalPrefix: must be 1 to 8 of 0-9 * #");
    requireRef(this.ctx, "partitions", "name", p.partition, "partition");
    checkInt("reversionTimeoutS", p.reversionTimeoutS, 0, 86400);
  }
  create(input) {
    const p = {
      id: input.id ?? randomUUID4(),
      firstNumber: input.firstNumber,
      lastNumber: input.lastNumber,
      retrievalPrefix: input.retrievalPrefix,
      partition: input.partition,
      reversionTimeoutS: input.reversionTimeoutS ?? 0
    };
    this.check(p);
    guard(`directed park "${p.id}"`, () => this.t.insert(p));
    this.ctx.changed("dialPlan");
    return p;
  }
  get(id2) {
    return this.t.get(id2);
  }
  list() {
    return this.t.all();
  }
  /** The range holding `number`, if any (MID-07). */
  rangeOf(number) {
    return this.list().find((p) => number.length === p.firstNumber.length && /^[0-9]+$/.test(number) && number >= p.firstNumber && number <= p.lastNumber);
  }
  update(id2, patch) {
    const cur = this.get(id2);
    if (!cur) throw notFound("directed park", id2);
    const p = { ...cur, ...defined(patch), id: id2 };
    this.check(p);
    this.t.update(p);
    this.ctx.changed("dialPlan");
    return p;
  }
  delete(id2) {
    const ok = this.t.delete(id2);
    if (ok) this.ctx.changed("dialPlan");
    return ok;
  }
};

// src/directory/repos/service-parameters.ts
var ServiceParameterRepo = class {
  constructor(ctx, resolve2) {
    this.ctx = ctx;
    this.resolve = resolve2;
  }
  ctx;
  resolve;
  get(key2) {
    const r = this.ctx.stmt("SELECT value FROM service_parameters WHERE key = ?").get(key2);
    return r ? JSON.parse(r.value) : void 0;
  }
  list() {
    const out = {};
    for (const r of this.ctx.stmt("SELECT key, value FROM service_parameters ORDER BY key").all()) {
      out[r.key] = JSON.parse(r.value);
    }
    return out;
  }
  /** Sets several parameters at once (validated together); returns the effective parameters. */
  setMany(values) {
    for (const k of Object.keys(values)) {
      if (!MOBILITY_KEYS.includes(k)) throw invalid(`${k}: unknown service parameter`);
    }
    const merged = { ...this.list(), ...values };
    let effective;
    try {
      effective = this.resolve(merged);
    } catch (e) {
      if (e instanceof ConfigError) throw new DirectoryError("invalid", e.problems.join("; "));
      throw e;
    }
    this.checkReferences(effective);
    this.ctx.tx(() => {
      const up = this.ctx.stmt("INSERT INTO service_parameters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
      for (const [k, v] of Object.entries(values)) up.run(k, JSON.stringify(v));
    });
    this.ctx.changed("parameters", "dialPlan", "remoteDestinations");
    return effective;
  }
  set(key2, value) {
    return this.setMany({ [key2]: value });
  }
  delete(key2) {
    const ok = this.ctx.stmt("DELETE FROM service_parameters WHERE key = ?").run(key2).changes > 0;
    if (ok) this.ctx.changed("parameters", "dialPlan", "remoteDestinations");
    return ok;
  }
  /** Partitions named by feature numbers exist; the handoff number is not a DN (HOUT-05). */
  checkReferences(m) {
    for (const p of problemsWithReferences(this.ctx, m)) throw invalid(p);
  }
};
function problemsWithReferences(ctx, m) {
  const problems = [];
  const partition2 = (field, name) => {
    if (name !== "" && !ctx.exists("partitions", "name", name)) problems.push(`mobility.${field}: partition "${name}" does not exist`);
  };
  m.efaNumbers.forEach((e, i) => partition2(`efaNumbers.${i}.partition`, e.partition));
  if (m.mvaDirectoryNumber !== "") partition2("mvaPartition", m.mvaPartition);
  if (m.handoffNumber !== "") {
    partition2("handoffPartition", m.handoffPartition);
    const h = unescapeDialable(m.handoffNumber);
    const dn = ctx.stmt("SELECT number FROM lines WHERE number = ? OR did = ? LIMIT 1").get(h, h);
    if (dn) problems.push(`mobility.handoffNumber: equals directory number ${dn.number} (HOUT-05)`);
  }
  return problems;
}

// src/directory/dial-plan.ts
var DialPlan = class {
  partitions = /* @__PURE__ */ new Map();
  css = /* @__PURE__ */ new Map();
  /** Throws PatternError for an invalid pattern. */
  constructor(entries, css2) {
    entries.forEach((entry, order) => {
      const pattern = compilePattern(entry.pattern);
      let idx = this.partitions.get(entry.partition);
      if (!idx) this.partitions.set(entry.partition, idx = { exact: /* @__PURE__ */ new Map(), wildcard: [] });
      const c = { entry, pattern, order };
      if (pattern.exact !== null) {
        const list2 = idx.exact.get(pattern.exact);
        if (list2) list2.push(c);
        else idx.exact.set(pattern.exact, [c]);
      } else idx.wildcard.push(c);
    });
    for (const c of css2) this.css.set(c.name, c.partitions);
  }
  hasCss(name) {
    return this.css.has(name);
  }
  partitionsOf(css2) {
    const names = typeof css2 === "string" ? [css2] : css2;
    const out = [];
    for (const n of names) for (const p of this.css.get(n) ?? []) if (!out.includes(p)) out.push(p);
    return out;
  }
  /**
   * Resolves `dialed` through a CSS, or several CSSs searched as one (GEN-06 "profile/device CSS
   * plus line CSS": pass [lineCss, deviceCss]; partitions keep that order, duplicates dropped).
   * Unknown CSS names contribute no partitions.
   */
  resolve(dialed, css2) {
    return this.resolveInPartitions(dialed, this.partitionsOf(css2));
  }
  resolveInPartitions(dialed, partitions) {
    if (dialed === "") return void 0;
    let best;
    const consider = (c2, rank2) => {
      const m2 = matchPattern(c2.pattern, dialed);
      if (!m2) return;
      if (!best || better(m2.alternatives, m2.variable, rank2, c2.order, best.m.alternatives, best.m.variable, best.rank, best.c.order)) {
        best = { c: c2, rank: rank2, m: m2 };
      }
    };
    partitions.forEach((name, rank2) => {
      const idx = this.partitions.get(name);
      if (!idx) return;
      for (const c2 of idx.exact.get(dialed) ?? []) consider(c2, rank2);
      for (const c2 of idx.wildcard) consider(c2, rank2);
    });
    if (!best) return void 0;
    const { c, m } = best;
    const e = c.entry;
    return {
      entry: e,
      partition: e.partition,
      target: e.target,
      dialed,
      preDot: m.preDot,
      postDot: m.postDot,
      calledNumber: (e.prefix ?? "") + (e.stripPreDot ? m.postDot : dialed),
      alternatives: m.alternatives,
      variable: m.variable
    };
  }
};
function better(a, av, ar, ao, b, bv, br, bo) {
  if (a !== b) return a < b;
  if (av !== bv) return !av;
  if (ar !== br) return ar < br;
  return ao < bo;
}

// src/directory/directory.ts
var DIRECTORY_COMPONENT = "directory";
var Directory = class {
  db;
  ownsDb;
  ctx;
  baseMobility;
  /** SIP domain (AORs, default realm in the fixture). */
  domain;
  partitions;
  css;
  lines;
  users;
  devices;
  credentials;
  rdProfiles;
  remoteDestinations;
  accessLists;
  ringSchedules;
  mobilityProfiles;
  routePatterns;
  trunks;
  directedParks;
  serviceParameters;
  mobilityCache;
  cidIndex;
  dialPlanCache;
  trunkCache;
  constructor(opts = {}) {
    this.db = opts.db ?? openSqlite(opts.path ?? ":memory:");
    this.ownsDb = !opts.db;
    if (opts.db) opts.db.pragma("foreign_keys = ON");
    runMigrations(this.db, DIRECTORY_COMPONENT, DIRECTORY_MIGRATIONS);
    const defaults = opts.mobility && opts.domain ? void 0 : defaultConfig();
    this.baseMobility = opts.mobility ?? defaults.mobility;
    this.domain = opts.domain ?? defaults.domain;
    this.ctx = new DirectoryContext(this.db, () => this.mobilityParameters());
    this.ctx.onChange((k) => this.invalidate(k));
    this.partitions = new PartitionRepo(this.ctx);
    this.css = new CssRepo(this.ctx);
    this.lines = new LineRepo(this.ctx);
    this.users = new UserRepo(this.ctx);
    this.devices = new DeviceRepo(this.ctx);
    this.credentials = new CredentialRepo(this.ctx);
    this.rdProfiles = new RdProfileRepo(this.ctx);
    this.remoteDestinations = new RemoteDestinationRepo(this.ctx, this.devices);
    this.accessLists = new AccessListRepo(this.ctx);
    this.ringSchedules = new RingScheduleRepo(this.ctx);
    this.mobilityProfiles = new MobilityProfileRepo(this.ctx);
    this.routePatterns = new RoutePatternRepo(this.ctx);
    this.trunks = new TrunkRepo(this.ctx);
    this.directedParks = new DirectedParkRepo(this.ctx);
    this.serviceParameters = new ServiceParameterRepo(this.ctx, (o) => resolveMobilityParameters(this.baseMobility, o, this.domain));
  }
  close() {
    if (this.ownsDb && this.db.open) this.db.close();
  }
  /** Runs `fn` in one transaction (nested calls join it). */
  transaction(fn) {
    try {
      return this.ctx.tx(fn);
    } catch (e) {
      this.invalidateCaches();
      throw e;
    }
  }
  invalidate(kind) {
    if (kind === "parameters") {
      this.mobilityCache = void 0;
      this.cidIndex = void 0;
      this.dialPlanCache = void 0;
    } else if (kind === "remoteDestinations") this.cidIndex = void 0;
    else if (kind === "dialPlan") this.dialPlanCache = void 0;
    else if (kind === "trunks") this.trunkCache = void 0;
  }
  invalidateCaches() {
    for (const k of ["parameters", "remoteDestinations", "dialPlan", "trunks"]) this.invalidate(k);
  }
  // ---- parameters ------------------------------------------------------------------------
  /** Config `mobility:` overlaid with the service parameters (cached). */
  mobilityParameters() {
    return this.mobilityCache ??= resolveMobilityParameters(this.baseMobility, this.serviceParameters.list(), this.domain);
  }
  /** Startup check of references from parameters into the directory (partitions, HOUT-05). */
  checkReferences() {
    return problemsWithReferences(this.ctx, this.mobilityParameters());
  }
  // ---- hot-path lookups -------------------------------------------------------------------
  findUser(userId) {
    return this.users.get(userId);
  }
  findUserByMvaId(mvaNumericId) {
    return this.users.findByMvaId(mvaNumericId);
  }
  /** Line by DN in a partition; without partition, the only line with that DN. */
  findLine(number, partition2) {
    return this.lines.find(number, partition2);
  }
  findLineByDid(did) {
    return this.lines.findByDid(did);
  }
  findDeviceBySipUsername(username) {
    return this.devices.findBySipUsername(username);
  }
  findDeviceByAor(aor) {
    return this.devices.findByAor(aor);
  }
  devicesOnLine(lineId) {
    return this.devices.onLine(lineId);
  }
  getHa1(username, realm, algorithm) {
    return this.credentials.getHa1(username, realm, algorithm);
  }
  /** RDs and MIs of a user. */
  listRemoteDestinations(userId) {
    return this.remoteDestinations.listByUser(userId);
  }
  mobilityIdentityOf(deviceId) {
    return this.remoteDestinations.mobilityIdentityOf(deviceId);
  }
  matchOptions() {
    const m = this.mobilityParameters();
    return { mode: m.matchCallerIdWithRemoteDestination, digits: m.callerIdPartialMatchDigits };
  }
  /**
   * Caller-ID match of a globalised, unreplaced calling number (or, for ISC, the dialled digits)
   * against every RD and MI (CID-02..04, CID-06). Only a `unique` result is a match.
   * `opts` overrides the configured mode/N (tests, ISC variants).
   */
  findRemoteDestinationByNumber(number, opts) {
    const base = this.matchOptions();
    if (opts && opts.digits !== void 0 && opts.digits !== base.digits) {
      return CallerIdIndex.build(this.remoteDestinations.list().map((r) => ({ number: r.number, value: r })), { ...base, ...opts }).lookup(number);
    }
    if (!this.cidIndex) {
      this.cidIndex = CallerIdIndex.build(this.remoteDestinations.list().map((r) => ({ number: r.number, value: r })), base);
    }
    return this.cidIndex.lookup(number, opts?.mode ?? base.mode);
  }
  getTrunk(id2) {
    return this.listTrunks().find((t) => t.id === id2);
  }
  listTrunks() {
    return this.trunkCache ??= this.trunks.list();
  }
  /** The trunk a request came from: host and port of the peer or an alternate gateway; host-only as fallback. */
  findTrunkBySource(host, port2) {
    const trunks = this.listTrunks();
    const gws = (t) => [{ peerHost: t.peerHost, port: t.port }, ...t.alternates];
    if (port2 !== void 0) {
      const exact = trunks.find((t) => gws(t).some((g) => g.peerHost === host && g.port === port2));
      if (exact) return exact;
    }
    return trunks.find((t) => gws(t).some((g) => g.peerHost === host));
  }
  // ---- dial plan --------------------------------------------------------------------------
  /** Every routable entry: feature numbers, park numbers, route patterns, then line DNs. */
  dialPlanEntries() {
    const m = this.mobilityParameters();
    const entries = [];
    for (const e of m.efaNumbers) {
      const n = unescapeDialable(e.number);
      entries.push({ partition: e.partition, pattern: literalPattern(n), target: { kind: "feature", id: "efa", arg: n }, source: "efaNumbers" });
    }
    if (m.mvaDirectoryNumber !== "") {
      const n = unescapeDialable(m.mvaDirectoryNumber);
      entries.push({ partition: m.mvaPartition, pattern: literalPattern(n), target: { kind: "feature", id: "mva", arg: n }, source: "mvaDirectoryNumber" });
    }
    if (m.handoffNumber !== "") {
      const n = unescapeDialable(m.handoffNumber);
      entries.push({ partition: m.handoffPartition, pattern: literalPattern(n), target: { kind: "feature", id: "handoff", arg: n }, source: "handoffNumber" });
    }
    for (const p of this.directedParks.list()) {
      const width = p.firstNumber.length;
      for (let i = Number(p.firstNumber); i <= Number(p.lastNumber); i++) {
        const n = String(i).padStart(width, "0");
        entries.push({ partition: p.partition, pattern: n, target: { kind: "feature", id: "park", arg: n }, source: `park:${p.id}` });
        entries.push({
          partition: p.partition,
          pattern: p.retrievalPrefix + n,
          target: { kind: "feature", id: "parkRetrieve", arg: n },
          source: `park:${p.id}`
        });
      }
    }
    for (const r of this.routePatterns.list()) {
      entries.push({ partition: r.partition, pattern: r.pattern, target: r.target, stripPreDot: r.stripPreDot, prefix: r.prefix, source: `routePattern:${r.id}` });
    }
    for (const l of this.lines.list()) {
      entries.push({ partition: l.partition, pattern: literalPattern(l.number), target: { kind: "line", id: l.id }, source: `line:${l.id}` });
    }
    return entries;
  }
  dialPlan() {
    return this.dialPlanCache ??= new DialPlan(this.dialPlanEntries(), this.css.list());
  }
  /** Best route for `dialed` through a CSS (or [lineCss, deviceCss] searched as one). */
  resolve(dialed, css2) {
    return this.dialPlan().resolve(dialed, css2);
  }
  /**
   * §14.5: is this translated called number an EFA number or the DVO-F service access number?
   * (The SAN has no partition, so this check does not go through a CSS; ANC-02.)
   */
  dispatcherNumber(called) {
    const m = this.mobilityParameters();
    const efa = m.efaNumbers.find((e) => unescapeDialable(e.number) === called);
    if (efa) return { kind: "efa", efa };
    if (m.dvoForwardServiceAccessNumber !== "" && unescapeDialable(m.dvoForwardServiceAccessNumber) === called) return { kind: "serviceAccessNumber" };
    return void 0;
  }
};

// src/api/backup.ts
async function backupDatabase(db, destination) {
  mkdirSync2(dirname2(destination), { recursive: true });
  const r = await db.backup(destination);
  return { path: destination, pages: r.totalPages };
}

// src/api/csv.ts
import { z as zod } from "zod";
function cell(v) {
  if (v === null || v === void 0) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
function toCsv(records, columns) {
  const cols = [...columns ?? []];
  for (const r of records) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const lines = [cols.map(cell).join(",")];
  for (const r of records) lines.push(cols.map((c) => cell(r[c])).join(","));
  return `${lines.join("\r\n")}\r
`;
}
function parseCsv(text3) {
  const rows = [];
  let row = [];
  let cur = "";
  let quoted = false;
  let i = 0;
  const s = text3.replace(/^\uFEFF/, "");
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cur += c;
      i++;
      continue;
    }
    if (c === '"' && cur === "") {
      quoted = true;
      i++;
    } else if (c === ",") {
      row.push(cur);
      cur = "";
      i++;
    } else if (c === "\r" || c === "\n") {
      row.push(cur);
      cur = "";
      rows.push(row);
      row = [];
      i += c === "\r" && s[i + 1] === "\n" ? 2 : 1;
    } else {
      cur += c;
      i++;
    }
  }
  if (quoted) throw new ApiError("invalid", "csv: unterminated quoted cell");
  if (cur !== "" || row.length > 0) {
    row.push(cur);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}
function columnTypes(schema) {
  const js = zod.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  const out = {};
  const typesOf = (p, acc) => {
    if (typeof p.type === "string") acc.add(p.type);
    if (Array.isArray(p.type)) for (const t of p.type) acc.add(String(t));
    if ("const" in p || Array.isArray(p.enum)) acc.add(typeof (p.const ?? p.enum[0]));
    for (const k of ["anyOf", "oneOf"]) if (Array.isArray(p[k])) for (const x of p[k]) typesOf(x, acc);
  };
  const visit = (s) => {
    for (const [k, p] of Object.entries(s.properties ?? {})) typesOf(p, out[k] ??= /* @__PURE__ */ new Set());
    for (const k of ["anyOf", "oneOf"]) if (Array.isArray(s[k])) for (const x of s[k]) visit(x);
  };
  visit(js);
  return out;
}
function csvRecords(text3, schema, section) {
  const rows = parseCsv(text3);
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.trim());
  const types = columnTypes(schema);
  for (const h of header) if (!(h in types)) throw new ApiError("invalid", `csv: ${h}: unknown column for ${section}`, [{ field: h, message: `unknown column for ${section}` }]);
  return rows.slice(1).map((r, i) => {
    const rec = {};
    header.forEach((h, j) => {
      const raw = r[j] ?? "";
      if (raw === "") return;
      const t = types[h];
      const at = `${section}[${i}].${h}`;
      if (raw === "null" && t.has("null")) rec[h] = null;
      else if (t.has("boolean") && /^(true|false|yes|no|1|0)$/i.test(raw)) rec[h] = /^(true|yes|1)$/i.test(raw);
      else if ((t.has("integer") || t.has("number")) && /^-?\d+(\.\d+)?$/.test(raw)) rec[h] = Number(raw);
      else if ((t.has("object") || t.has("array")) && /^[[{]/.test(raw.trim())) {
        try {
          rec[h] = JSON.parse(raw);
        } catch {
          throw new ApiError("invalid", `${at}: not valid JSON`, [{ field: at, message: "not valid JSON" }]);
        }
      } else rec[h] = raw;
    });
    return rec;
  });
}

// src/api/routes/bulk.ts
function exportDocument(svc) {
  const doc = {};
  for (const section of PROVISIONING_SECTIONS) {
    if (section === "serviceParameters") {
      doc.serviceParameters = svc.dir.serviceParameters.list();
      continue;
    }
    const e = svc.entities.find((x) => x.section === section);
    if (!e?.exportForm) continue;
    doc[section] = e.list(svc.dir).map(e.exportForm);
  }
  return doc;
}
function validateDocument(svc, doc) {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new ApiError("invalid", "(root): a provisioning document must be a mapping of sections");
  for (const [section, list2] of Object.entries(doc)) {
    if (section === "serviceParameters") {
      if (list2 === null || typeof list2 !== "object" || Array.isArray(list2)) throw new ApiError("invalid", "serviceParameters: must be a mapping", [{ field: "serviceParameters", message: "must be a mapping" }]);
      for (const [k, v] of Object.entries(list2)) {
        const s = serviceParameterSchema(k);
        if (!s) throw new ApiError("invalid", `serviceParameters.${k}: unknown service parameter`, [{ field: `serviceParameters.${k}`, message: "unknown service parameter" }]);
        const r = s.safeParse(v);
        if (!r.success) throw fromZod(r.error, v, `serviceParameters.${k}`);
      }
      continue;
    }
    const e = svc.entities.find((x) => x.section === section);
    if (!e) throw new ApiError("invalid", `${section}: unknown section (known: ${PROVISIONING_SECTIONS.join(", ")})`, [{ field: section, message: "unknown section" }]);
    if (!Array.isArray(list2)) throw new ApiError("invalid", `${section}: must be a list`, [{ field: section, message: "must be a list" }]);
    list2.forEach((rec, i) => {
      const r = e.importSchema.safeParse(rec);
      if (!r.success) throw fromZod(r.error, rec, `${section}[${i}]`);
    });
  }
}
var DryRun = class extends Error {
};
function importDocument(svc, doc, dryRun) {
  validateDocument(svc, doc);
  try {
    let result;
    svc.dir.transaction(() => {
      try {
        result = applyProvisioning(svc.dir, doc, "import");
      } catch (e) {
        throw importError(e);
      }
      if (dryRun) throw new DryRun();
    });
    return result;
  } catch (e) {
    if (e instanceof DryRun) {
      svc.dir.invalidateCaches();
      return { created: 0, updated: 0, warnings: [] };
    }
    throw e;
  }
}
function importError(e) {
  if (e instanceof DirectoryError) {
    const m = /^import: (\w+)(?:\[(\d+)\] \([^)]*\))?: (.*)$/s.exec(e.message);
    if (m) {
      const inner = splitFieldMessage(m[3]);
      const at = m[2] !== void 0 ? `${m[1]}[${m[2]}]` : m[1];
      const field = inner ? `${at}.${inner.field}` : at;
      return new ApiError(e.code, e.message, [{ field, message: inner?.message ?? m[3] }]);
    }
  }
  return e;
}
function registerBulkRoutes(d) {
  const { routes, svc } = d;
  const sectionNames = svc.entities.filter((e) => e.exportForm).map((e) => e.name);
  const exportQuery = z8.strictObject({ format: z8.enum(["json", "csv"]).optional(), entity: z8.enum(sectionNames).optional() });
  routes.add({
    method: "GET",
    url: "/api/v1/export",
    summary: "Export the provisioning data: JSON document of every section (format=json), or one entity as CSV (format=csv&entity=users). SIP passwords and PINs are not exported (only hashes are stored); use the backup for a full copy.",
    tag: "bulk",
    access: "admin",
    query: exportQuery,
    response: { description: "application/json or text/csv" },
    handler: ({ query, reply }) => {
      if ((query.format ?? "json") === "json") {
        reply.header("content-disposition", 'attachment; filename="provisioning.json"');
        return exportDocument(svc);
      }
      if (!query.entity) throw new ApiError("invalid", "entity: required with format=csv", [{ field: "entity", message: "required with format=csv" }]);
      const e = svc.entity(query.entity);
      const cols = [e.key, ...Object.keys(columnTypes(e.importSchema)).filter((c) => c !== e.key)];
      reply.header("content-type", "text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${e.name}.csv"`);
      return toCsv(e.list(svc.dir).map(e.exportForm), cols);
    }
  });
  const importQuery = z8.strictObject({ entity: z8.enum(svc.entities.map((e) => e.name)).optional(), dryRun: qBool().optional() });
  routes.add({
    method: "POST",
    url: "/api/v1/import",
    summary: "Import a provisioning document (application/json or YAML: sections as in export; records are created or updated by id) or a CSV of one entity (text/csv with ?entity=). All or nothing; dryRun=true validates only.",
    tag: "bulk",
    access: "admin",
    query: importQuery,
    consumes: ["application/json", "application/yaml", "text/csv"],
    handler: ({ req, query, actor }) => {
      const ct = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
      let doc;
      if (ct === "text/csv") {
        if (!query.entity) throw new ApiError("invalid", "entity: required for a CSV import", [{ field: "entity", message: "required for a CSV import" }]);
        const e = svc.entity(query.entity);
        doc = { [e.section]: csvRecords(String(req.body ?? ""), e.importSchema, e.section) };
      } else if (ct.includes("yaml")) {
        const y = parseDocument3(String(req.body ?? ""), { uniqueKeys: true });
        if (y.errors.length) throw new ApiError("invalid", `yaml: ${y.errors[0].message.split("\n")[0]}`);
        doc = y.toJS() ?? {};
      } else if (ct === "application/json") {
        doc = req.body;
        if (query.entity && Array.isArray(doc)) doc = { [svc.entity(query.entity).section]: doc };
      } else throw new ApiError("unsupported_media_type", `content type ${ct || "(none)"}: send application/json, application/yaml or text/csv`);
      const sections = doc && typeof doc === "object" ? Object.keys(doc).join(",") : "";
      if (query.dryRun) return { dryRun: true, ...importDocument(svc, doc, true) };
      return svc.write(actor, { action: "import", entity: "bulk", entityId: sections }, () => importDocument(svc, doc, false));
    }
  });
  routes.add({
    method: "POST",
    url: "/api/v1/backup",
    summary: "Take a consistent backup of the database (provisioning, accounts, audit) and download it; a copy stays in <dataDir>/backups",
    tag: "bulk",
    access: "admin",
    response: { description: "SQLite database file", contentType: "application/vnd.sqlite3" },
    handler: async ({ reply, actor }) => {
      const stamp = (/* @__PURE__ */ new Date()).toISOString().replace(/[:.]/g, "-");
      const path = join(d.dataDir ?? tmpdir(), "backups", `directory-${stamp}.sqlite`);
      await backupDatabase(svc.dir.db, path);
      svc.write(actor, { action: "backup", entity: "database", entityId: path }, () => void 0);
      reply.header("content-type", "application/vnd.sqlite3").header("content-disposition", `attachment; filename="directory-${stamp}.sqlite"`);
      return reply.send(createReadStream(path));
    }
  });
}

// src/api/live-calls.ts
function stripTag(v) {
  if (v === void 0) return null;
  return v.toString().replace(/;\s*tag=[^;>]*/gi, "").trim();
}
function str2(v) {
  return typeof v === "string" && v !== "" ? v : void 0;
}
function viewCall(c) {
  const x = c;
  const feature = str2(x.feature) ?? str2(x.origin) ?? str2(x.label) ?? "basic";
  const legs = [];
  if (c.aDialog) legs.push({ leg: "A", callId: c.aDialog.callId, from: stripTag(c.aDialog.remoteUri), to: stripTag(c.aDialog.localUri), state: c.aDialog.state });
  else legs.push({ leg: "A", callId: c.id, from: stripTag(c.a?.request.get("from")), to: stripTag(c.a?.request.get("to")), state: c.state });
  if (c.bDialog) legs.push({ leg: "B", callId: c.bDialog.callId, from: stripTag(c.bDialog.localUri), to: stripTag(c.bDialog.remoteUri), state: c.bDialog.state });
  const extra = x.legs;
  if (Array.isArray(extra)) {
    for (const l of extra) {
      legs.push({ leg: String(l.leg ?? l.role ?? "?"), callId: str2(l.callId) ?? null, from: str2(l.from) ?? null, to: str2(l.to) ?? null, state: String(l.state ?? "") });
    }
  }
  return { id: c.id, state: c.state, feature, startedAt: c.startedAt, connectedAt: c.connectedAt ?? null, legs };
}
function snapshot(calls) {
  if (!calls) return [];
  return [...calls.values()].map(viewCall).sort((a, b) => a.startedAt - b.startedAt);
}

// src/api/routes/calls.ts
function registerCallRoutes(d) {
  const { routes, svc } = d;
  routes.add({
    method: "GET",
    url: "/api/v1/calls",
    summary: "Active calls with their legs, feature and times (duration = now - connectedAt)",
    tag: "calls",
    access: "admin",
    handler: () => ({ now: Date.now(), calls: snapshot(d.calls) })
  });
  routes.add({
    method: "GET",
    url: "/api/v1/calls/stream",
    summary: 'Server-sent events: a "calls" event with the full list whenever it changes (and on connect)',
    tag: "calls",
    access: "admin",
    response: { description: "text/event-stream", contentType: "text/event-stream" },
    handler: ({ req, reply }) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no"
      });
      let last = "";
      let lastSent = 0;
      const push2 = () => {
        const calls = snapshot(d.calls);
        const key2 = JSON.stringify(calls);
        const now = Date.now();
        if (key2 !== last) {
          last = key2;
          lastSent = now;
          res.write(`event: calls
data: ${JSON.stringify({ now, calls })}

`);
        } else if (now - lastSent > 15e3) {
          lastSent = now;
          res.write(": keep-alive\n\n");
        }
      };
      res.write("retry: 2000\n\n");
      push2();
      const timer = setInterval(push2, d.callsStreamIntervalMs);
      d.streams.add(res);
      const stop2 = () => {
        clearInterval(timer);
        d.streams.delete(res);
      };
      req.raw.on("close", stop2);
      res.on("close", stop2);
      return reply;
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/calls/:id",
    summary: "Hang up a call (BYE/CANCEL on every leg)",
    tag: "calls",
    access: "admin",
    status: 204,
    handler: ({ params, actor }) => {
      const call = d.calls?.get(params.id);
      if (!call || typeof call.hangup !== "function") throw new ApiError("not_found", `call "${params.id}" not found`);
      svc.write(actor, { action: "hangup", entity: "calls", entityId: call.id }, () => void 0);
      call.hangup("server", `released by ${actor.username} via API`);
      return void 0;
    }
  });
}

// src/api/routes/entities.ts
import { z as z9 } from "zod";
var writeResult = (record = z9.object({}).passthrough()) => z9.object({ record, warnings: z9.array(z9.string()) });
function filterRecords(records, query) {
  const filters = Object.entries(query).filter(([, v]) => typeof v === "string");
  if (filters.length === 0) return records;
  return records.filter((r) => filters.every(([k, v]) => String(r[k]) === v));
}
function registerEntityRoutes(d) {
  for (const e of d.svc.entities) registerEntity(d, e);
}
function registerEntity(d, e) {
  const { svc, routes } = d;
  const base = `/api/v1/${e.name}`;
  const tag = e.name;
  const getOr404 = (id2) => {
    const r = e.get(svc.dir, id2);
    if (r === void 0) throw new ApiError("not_found", `${e.label} "${id2}" not found`);
    return r;
  };
  routes.add({
    method: "GET",
    url: base,
    summary: `List ${e.label}s (optional ?field=value filters on top-level fields)`,
    tag,
    access: "admin",
    query: z9.record(z9.string(), z9.string()),
    handler: ({ query }) => filterRecords(e.list(svc.dir), query).map(e.view)
  });
  routes.add({
    method: "GET",
    url: `${base}/:id`,
    summary: `Get one ${e.label}`,
    tag,
    access: "admin",
    handler: ({ params }) => e.view(getOr404(params.id))
  });
  routes.add({
    method: "POST",
    url: base,
    summary: `Create a ${e.label}`,
    tag,
    access: "admin",
    body: e.create,
    status: 201,
    response: { description: "Created: the record and provisioning warnings (CID-05)", schema: writeResult() },
    handler: async ({ body, actor }) => {
      const { data, extras } = splitExtras(e, body);
      const prepared = e.prepareExtras ? await e.prepareExtras(extras) : {};
      const res = svc.write(
        actor,
        { action: "create", entity: e.name, detail: body },
        () => {
          const r = e.insert(svc.dir, data);
          e.applyExtras?.(svc.ctx, r.record, prepared);
          return r;
        },
        (r) => String(r.record[e.key])
      );
      const fresh = e.get(svc.dir, String(res.record[e.key])) ?? res.record;
      return { record: e.view(fresh), warnings: res.warnings };
    }
  });
  routes.add({
    method: "PATCH",
    url: `${base}/:id`,
    summary: `Change fields of a ${e.label} (fields not given keep their value)`,
    tag,
    access: "admin",
    body: e.patch,
    response: { description: "The record and provisioning warnings", schema: writeResult() },
    handler: async ({ body, actor, params }) => {
      const id2 = params.id;
      getOr404(id2);
      const { data, extras } = splitExtras(e, body);
      const prepared = e.prepareExtras ? await e.prepareExtras(extras) : {};
      const res = svc.write(actor, { action: "update", entity: e.name, entityId: id2, detail: body }, () => {
        const r = Object.keys(data).length > 0 || e.name === "sip-credentials" ? e.update(svc.dir, id2, data) : { record: e.get(svc.dir, id2), warnings: [] };
        e.applyExtras?.(svc.ctx, r.record, prepared);
        return r;
      });
      return { record: e.view(e.get(svc.dir, id2) ?? res.record), warnings: res.warnings };
    }
  });
  routes.add({
    method: "DELETE",
    url: `${base}/:id`,
    summary: `Delete a ${e.label}`,
    tag,
    access: "admin",
    status: 204,
    handler: ({ actor, params }) => {
      const id2 = params.id;
      getOr404(id2);
      svc.write(actor, { action: "delete", entity: e.name, entityId: id2 }, () => e.remove(svc.dir, id2));
      return void 0;
    }
  });
}

// src/api/routes/pages.ts
import { existsSync as existsSync2 } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join as join2, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
var TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json"
};
function defaultWebRoot() {
  return fileURLToPath(new URL("../../../web/", import.meta.url));
}
function registerPages(app, webRoot) {
  const root = resolve(webRoot);
  if (!existsSync2(root)) return;
  app.get("/", (_req, reply) => reply.redirect("/ui/login.html"));
  app.get("/ui", (_req, reply) => reply.redirect("/ui/login.html"));
  app.get("/ui/", (_req, reply) => reply.redirect("/ui/login.html"));
  app.get("/ui/*", async (req, reply) => {
    const rel = decodeURIComponent(req.params["*"]);
    const file = resolve(join2(root, rel));
    const type = TYPES[extname(file)];
    if (!file.startsWith(root + sep) || type === void 0) return reply.code(404).type("text/plain").send("not found");
    let data;
    try {
      data = await readFile(file);
    } catch {
      return reply.code(404).type("text/plain").send("not found");
    }
    return reply.type(type).header("cache-control", "no-cache").send(data);
  });
}

// src/api/routes/params.ts
import { z as z10 } from "zod";
function registerParameterRoutes(d) {
  const { routes, svc } = d;
  const dir = svc.dir;
  const specDefaults = () => resolveMobilityParameters(defaultConfig().mobility, {}, dir.domain);
  const describe = () => {
    const effective = dir.mobilityParameters();
    const overrides = dir.serviceParameters.list();
    const defaults = specDefaults();
    return {
      effective,
      overrides,
      parameters: serviceParameterKeys().map((key2) => {
        const schema = serviceParameterSchema(key2);
        const js = z10.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
        delete js.$schema;
        return { key: key2, value: effective[key2], default: defaults[key2], overridden: key2 in overrides, schema: js };
      })
    };
  };
  routes.add({
    method: "GET",
    url: "/api/v1/service-parameters",
    summary: "Service parameters: effective values, overrides, spec defaults and ranges (JSON Schema per key)",
    tag: "service-parameters",
    access: "admin",
    handler: () => describe()
  });
  routes.add({
    method: "PATCH",
    url: "/api/v1/service-parameters",
    summary: "Set service parameters (validated together with the current values; effective for the next call)",
    tag: "service-parameters",
    access: "admin",
    body: z10.record(z10.string(), z10.unknown()),
    handler: ({ body, actor }) => {
      const values = {};
      const issues = [];
      for (const [k, v] of Object.entries(body)) {
        const schema = serviceParameterSchema(k);
        if (!schema) {
          issues.push({ field: k, message: "unknown service parameter" });
          continue;
        }
        const r = schema.safeParse(v);
        if (!r.success) issues.push(...fromZod(r.error, v, k).issues);
        else values[k] = v;
      }
      if (issues.length) throw new ApiError("invalid", `${issues[0].field}: ${issues[0].message}`, issues);
      if (Object.keys(values).length === 0) throw new ApiError("invalid", "no parameters given");
      svc.write(actor, { action: "update", entity: "service-parameters", entityId: Object.keys(values).join(","), detail: values }, () => dir.serviceParameters.setMany(values));
      return describe();
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/service-parameters/:key",
    summary: "Reset a service parameter to the configured / spec default",
    tag: "service-parameters",
    access: "admin",
    status: 204,
    handler: ({ params, actor }) => {
      const key2 = params.key;
      if (!serviceParameterSchema(key2)) throw new ApiError("not_found", `unknown service parameter "${key2}"`);
      svc.write(actor, { action: "reset", entity: "service-parameters", entityId: key2 }, () => dir.serviceParameters.delete(key2));
      return void 0;
    }
  });
  const efaList = () => dir.mobilityParameters().efaNumbers;
  const indexOf = (list2, number) => {
    const i = list2.findIndex((e) => e.number === number || unescapeDialable(e.number) === unescapeDialable(number));
    if (i < 0) throw new ApiError("not_found", `EFA number "${number}" not found`);
    return i;
  };
  const save = (actor, action, id2, detail, list2) => svc.write(actor, { action, entity: "efa-numbers", entityId: id2, detail }, () => dir.serviceParameters.setMany({ efaNumbers: list2 }));
  const onlyDefault = (list2, keep) => list2.map((e, i) => ({ ...e, isDefault: i === keep }));
  routes.add({
    method: "GET",
    url: "/api/v1/efa-numbers",
    summary: "List EFA numbers (the first-class form of the efaNumbers service parameter)",
    tag: "efa-numbers",
    access: "admin",
    handler: () => efaList()
  });
  routes.add({
    method: "POST",
    url: "/api/v1/efa-numbers",
    summary: 'Add an EFA number (\u2264 24 dialable characters, "+" written "\\+"; with a partition; isDefault moves the default)',
    tag: "efa-numbers",
    access: "admin",
    body: efaNumber.create,
    status: 201,
    handler: ({ body, actor }) => {
      let list2 = [...efaList(), body];
      if (body.isDefault) list2 = onlyDefault(list2, list2.length - 1);
      save(actor, "create", body.number, body, list2);
      return body;
    }
  });
  routes.add({
    method: "PATCH",
    url: "/api/v1/efa-numbers/:number",
    summary: 'Change an EFA number (path: the number, "+" or "\\+" form)',
    tag: "efa-numbers",
    access: "admin",
    body: efaNumber.patch,
    handler: ({ body, actor, params }) => {
      let list2 = [...efaList()];
      const i = indexOf(list2, params.number);
      list2[i] = { ...list2[i], ...body };
      if (body.isDefault) list2 = onlyDefault(list2, i);
      save(actor, "update", params.number, body, list2);
      return list2[i];
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/efa-numbers/:number",
    summary: "Remove an EFA number",
    tag: "efa-numbers",
    access: "admin",
    status: 204,
    handler: ({ actor, params }) => {
      let list2 = [...efaList()];
      const i = indexOf(list2, params.number);
      const wasDefault = list2[i].isDefault;
      list2.splice(i, 1);
      if (wasDefault && list2.length > 1) list2 = onlyDefault(list2, 0);
      save(actor, "delete", params.number, void 0, list2);
      return void 0;
    }
  });
}

// src/api/routes/self-care.ts
import { z as z11 } from "zod";
function me(actor) {
  if (actor.userId === null) throw new ApiError("forbidden", "this account is not linked to an end user (self-care is for end-user accounts)");
  return actor.userId;
}
function registerSelfCareRoutes(d) {
  const { routes, svc, accounts } = d;
  const dir = svc.dir;
  const ownRd = (userId, id2) => {
    const rd = dir.remoteDestinations.get(id2);
    if (!rd || rd.ownerUser !== userId) throw new ApiError("not_found", `remote destination "${id2}" not found`);
    return rd;
  };
  const ownList = (userId, id2) => {
    const l = dir.accessLists.get(id2);
    if (!l || l.ownerUser !== userId) throw new ApiError("not_found", `access list "${id2}" not found`);
    return l;
  };
  const ownSchedule = (userId, id2) => {
    const s = dir.ringSchedules.get(id2);
    if (!s || s.ownerUser !== userId) throw new ApiError("not_found", `ring schedule "${id2}" not found`);
    return s;
  };
  const checkRefs = (userId, b) => {
    if (typeof b.ringSchedule === "string") {
      const s = dir.ringSchedules.get(b.ringSchedule);
      if (!s || s.ownerUser !== userId) throw new ApiError("invalid", `ringSchedule: "${b.ringSchedule}" is not one of your ring schedules`, [{ field: "ringSchedule", message: "not one of your ring schedules" }]);
    }
    const ap = b.accessPolicy;
    if (ap !== void 0 && typeof ap === "object") {
      const listId = String(ap.allowedList ?? ap.blockedList);
      const l = dir.accessLists.get(listId);
      if (!l || l.ownerUser !== userId) throw new ApiError("invalid", `accessPolicy: "${listId}" is not one of your access lists`, [{ field: "accessPolicy", message: "not one of your access lists" }]);
    }
  };
  const overview = (userId) => {
    const user2 = dir.users.get(userId);
    if (!user2) throw new ApiError("not_found", `user "${userId}" not found`);
    return {
      user: user2,
      remoteDestinations: dir.remoteDestinations.listByUser(userId),
      accessLists: dir.accessLists.list(userId),
      ringSchedules: dir.ringSchedules.list(userId),
      rdProfiles: dir.rdProfiles.list(userId).map((p) => ({ id: p.id, name: p.name })),
      mobileClients: dir.devices.list({ ownerUser: userId, kind: "mobileClient" }).map((x) => ({ id: x.id })),
      defaults: (({ delayBeforeRingingMs, answerTooSoonMs, answerTooLateMs, snrVoicemailPolicy, voicemailSelectionPolicy }) => ({
        delayBeforeRingingMs,
        answerTooSoonMs,
        answerTooLateMs,
        snrVoicemailPolicy,
        voicemailSelectionPolicy
      }))(dir.mobilityParameters())
    };
  };
  routes.add({
    method: "GET",
    url: "/api/v1/me",
    summary: "Self-care: my user record, remote destinations, access lists and ring schedules",
    tag: "self-care",
    access: "any",
    handler: ({ actor }) => overview(me(actor))
  });
  routes.add({
    method: "PATCH",
    url: "/api/v1/me",
    summary: "Self-care: change my display name or time zone (ring schedules are evaluated in it)",
    tag: "self-care",
    access: "any",
    body: selfPatch,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(actor, { action: "update", entity: "users", entityId: userId, detail: body }, () => dir.users.update(userId, body));
    }
  });
  routes.add({
    method: "PUT",
    url: "/api/v1/me/pin",
    summary: "Self-care: set my PIN (MVA); if currentPin is given it must match",
    tag: "self-care",
    access: "any",
    body: pinChange,
    status: 204,
    handler: async ({ actor, body }) => {
      const userId = me(actor);
      if (body.currentPin !== void 0 && !await dir.users.verifyPin(userId, body.currentPin)) {
        throw new ApiError("invalid", "currentPin: does not match", [{ field: "currentPin", message: "does not match" }]);
      }
      svc.write(actor, { action: "update", entity: "users", entityId: userId, detail: { pin: body.newPin } }, () => dir.users.update(userId, { pin: body.newPin }));
      return void 0;
    }
  });
  routes.add({
    method: "PUT",
    url: "/api/v1/me/password",
    summary: "Change my own password (any account); other sessions end",
    tag: "self-care",
    access: "any",
    body: passwordChange,
    status: 204,
    handler: async ({ actor, body, auth, reply, req }) => {
      if (actor.via === "cli") throw new ApiError("forbidden", 'use "account passwd" for the CLI');
      if (!await accounts.verify(actor.username, body.currentPassword)) {
        throw new ApiError("invalid", "currentPassword: wrong password", [{ field: "currentPassword", message: "wrong password" }]);
      }
      const hash = await hashPassword(body.newPassword);
      const s = svc.write(actor, { action: "update", entity: "accounts", entityId: actor.username, detail: { password: body.newPassword } }, () => {
        accounts.setPasswordHash(actor.username, hash);
        return auth?.sessionId !== void 0 ? accounts.createSession(actor.username) : void 0;
      });
      if (s) {
        const secure = req.protocol === "https" ? "; Secure" : "";
        reply.header("set-cookie", `${SESSION_COOKIE}=${encodeURIComponent(s.id)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor((s.expiresAt - Date.now()) / 1e3)}${secure}`);
        reply.header("x-csrf-token", s.csrfToken);
      }
      return void 0;
    }
  });
  routes.add({
    method: "PUT",
    url: "/api/v1/me/snr",
    summary: 'Self-care: turn SNR on or off for all my remote destinations and my mobility identity (SNR-11 "ring all devices")',
    tag: "self-care",
    access: "any",
    body: snrSwitch,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(
        actor,
        { action: body.enabled ? "snr-on" : "snr-off", entity: "remote-destinations", entityId: `${userId}:*`, detail: body },
        () => dir.remoteDestinations.listByUser(userId).map((rd) => dir.remoteDestinations.update(rd.id, { enableSnr: body.enabled }).record)
      );
    }
  });
  routes.add({
    method: "PUT",
    url: "/api/v1/me/remote-destinations/:id/snr",
    summary: "Self-care: turn SNR on or off for one remote destination or the mobility identity (SNR-10, SNR-13)",
    tag: "self-care",
    access: "any",
    body: snrSwitch,
    handler: ({ actor, body, params }) => {
      const userId = me(actor);
      const rd = ownRd(userId, params.id);
      return svc.write(actor, { action: body.enabled ? "snr-on" : "snr-off", entity: "remote-destinations", entityId: rd.id, detail: body }, () => dir.remoteDestinations.update(rd.id, { enableSnr: body.enabled }).record);
    }
  });
  const adminSnr = z11.strictObject({ enabled: snrSwitch.shape.enabled, remoteDestination: z11.string().optional() });
  routes.add({
    method: "PUT",
    url: "/api/v1/users/:userId/snr",
    summary: "Turn SNR on or off for all of a user's remote destinations, or one (remoteDestination), in one transaction (SNR-10)",
    tag: "users",
    access: "admin",
    body: adminSnr,
    handler: ({ actor, body, params }) => {
      const userId = params.userId;
      svc.requireUser(userId);
      const targets = body.remoteDestination !== void 0 ? [ownRd(userId, body.remoteDestination)] : dir.remoteDestinations.listByUser(userId);
      return svc.write(
        actor,
        { action: body.enabled ? "snr-on" : "snr-off", entity: "remote-destinations", entityId: body.remoteDestination ?? `${userId}:*`, detail: body },
        () => targets.map((rd) => dir.remoteDestinations.update(rd.id, { enableSnr: body.enabled }).record)
      );
    }
  });
  routes.add({
    method: "GET",
    url: "/api/v1/me/remote-destinations",
    summary: "Self-care: my remote destinations and mobility identity",
    tag: "self-care",
    access: "any",
    handler: ({ actor }) => dir.remoteDestinations.listByUser(me(actor))
  });
  routes.add({
    method: "POST",
    url: "/api/v1/me/remote-destinations",
    summary: "Self-care: add a remote destination (under my remote destination profile unless parent is given)",
    tag: "self-care",
    access: "any",
    body: selfRdCreate,
    status: 201,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      checkRefs(userId, body);
      let parent;
      if (body.parent) {
        const p = body.parent;
        const owner = p.kind === "rdProfile" ? dir.rdProfiles.get(p.id)?.ownerUser : dir.devices.get(p.id)?.ownerUser;
        if (owner !== userId) throw new ApiError("invalid", `parent: "${p.id}" is not one of your profiles or devices`, [{ field: "parent", message: "not yours" }]);
        parent = p;
      } else {
        const profile = dir.rdProfiles.list(userId)[0];
        if (!profile) throw new ApiError("invalid", "parent: you have no remote destination profile; ask an administrator to create one", [{ field: "parent", message: "no remote destination profile" }]);
        parent = { kind: "rdProfile", id: profile.id };
      }
      const { parent: _p, ...rest } = body;
      return svc.write(
        actor,
        { action: "create", entity: "remote-destinations", detail: body },
        () => dir.remoteDestinations.create({ ...rest, parent, isMobilityIdentity: false }),
        (r) => r.record.id
      );
    }
  });
  routes.add({
    method: "PATCH",
    url: "/api/v1/me/remote-destinations/:id",
    summary: "Self-care: change one of my remote destinations (number, name, SNR, timers, voicemail policy, schedule, access policy)",
    tag: "self-care",
    access: "any",
    body: selfRdPatch,
    handler: ({ actor, body, params }) => {
      const userId = me(actor);
      const rd = ownRd(userId, params.id);
      checkRefs(userId, body);
      if (rd.isMobilityIdentity && body.number !== void 0) {
        throw new ApiError("forbidden", "number: the mobility identity number is managed by the administrator", [{ field: "number", message: "managed by the administrator" }]);
      }
      return svc.write(actor, { action: "update", entity: "remote-destinations", entityId: rd.id, detail: body }, () => dir.remoteDestinations.update(rd.id, body));
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/me/remote-destinations/:id",
    summary: "Self-care: delete one of my remote destinations (not the mobility identity)",
    tag: "self-care",
    access: "any",
    status: 204,
    handler: ({ actor, params }) => {
      const userId = me(actor);
      const rd = ownRd(userId, params.id);
      if (rd.isMobilityIdentity) throw new ApiError("forbidden", "the mobility identity is managed by the administrator");
      svc.write(actor, { action: "delete", entity: "remote-destinations", entityId: rd.id }, () => dir.remoteDestinations.delete(rd.id));
      return void 0;
    }
  });
  routes.add({ method: "GET", url: "/api/v1/me/access-lists", summary: "Self-care: my access lists", tag: "self-care", access: "any", handler: ({ actor }) => dir.accessLists.list(me(actor)) });
  routes.add({
    method: "POST",
    url: "/api/v1/me/access-lists",
    summary: "Self-care: create an access list (allowed / blocked callers)",
    tag: "self-care",
    access: "any",
    body: selfAccessListCreate,
    status: 201,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(actor, { action: "create", entity: "access-lists", detail: body }, () => dir.accessLists.create({ ...body, ownerUser: userId }), (r) => r.id);
    }
  });
  routes.add({
    method: "PATCH",
    url: "/api/v1/me/access-lists/:id",
    summary: "Self-care: change one of my access lists",
    tag: "self-care",
    access: "any",
    body: selfAccessListPatch,
    handler: ({ actor, body, params }) => {
      const l = ownList(me(actor), params.id);
      return svc.write(actor, { action: "update", entity: "access-lists", entityId: l.id, detail: body }, () => dir.accessLists.update(l.id, body));
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/me/access-lists/:id",
    summary: "Self-care: delete one of my access lists (refused while a destination uses it)",
    tag: "self-care",
    access: "any",
    status: 204,
    handler: ({ actor, params }) => {
      const l = ownList(me(actor), params.id);
      svc.write(actor, { action: "delete", entity: "access-lists", entityId: l.id }, () => dir.accessLists.delete(l.id));
      return void 0;
    }
  });
  routes.add({ method: "GET", url: "/api/v1/me/ring-schedules", summary: "Self-care: my ring schedules", tag: "self-care", access: "any", handler: ({ actor }) => dir.ringSchedules.list(me(actor)) });
  routes.add({
    method: "POST",
    url: "/api/v1/me/ring-schedules",
    summary: "Self-care: create a ring schedule (weekday + time-range entries, my time zone)",
    tag: "self-care",
    access: "any",
    body: selfScheduleCreate,
    status: 201,
    handler: ({ actor, body }) => {
      const userId = me(actor);
      return svc.write(actor, { action: "create", entity: "ring-schedules", detail: body }, () => dir.ringSchedules.create({ ...body, ownerUser: userId }), (r) => r.id);
    }
  });
  routes.add({
    method: "PATCH",
    url: "/api/v1/me/ring-schedules/:id",
    summary: "Self-care: change one of my ring schedules",
    tag: "self-care",
    access: "any",
    body: selfSchedulePatch,
    handler: ({ actor, body, params }) => {
      const s = ownSchedule(me(actor), params.id);
      return svc.write(actor, { action: "update", entity: "ring-schedules", entityId: s.id, detail: body }, () => dir.ringSchedules.update(s.id, body));
    }
  });
  routes.add({
    method: "DELETE",
    url: "/api/v1/me/ring-schedules/:id",
    summary: "Self-care: delete one of my ring schedules (refused while a destination uses it)",
    tag: "self-care",
    access: "any",
    status: 204,
    handler: ({ actor, params }) => {
      const s = ownSchedule(me(actor), params.id);
      svc.write(actor, { action: "delete", entity: "ring-schedules", entityId: s.id }, () => dir.ringSchedules.delete(s.id));
      return void 0;
    }
  });
}

// src/api/app.ts
var VERSION = "1.0.0";
async function createHttpApp(o) {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  const log = o.log ?? pino({ level: "silent" });
  app.get("/healthz", async (_req, reply) => {
    const h = o.health?.() ?? { ok: true };
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  if (o.metrics) {
    const metrics = o.metrics;
    app.get("/metrics", async (_req, reply) => {
      const text3 = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text3);
    });
  }
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "same-origin");
    reply.header("x-frame-options", "DENY");
    reply.header(
      "content-security-policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    return payload;
  });
  app.setErrorHandler((err, req, reply) => {
    let e;
    const fe = err;
    if (err instanceof ApiError) e = err;
    else if (fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") e = new ApiError("unsupported_media_type", fe.message);
    else if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
      e = new ApiError("invalid", fe.code === "FST_ERR_CTP_EMPTY_JSON_BODY" ? "the request body is empty" : fe.message.replace(/^Body /, "body: "));
      if (fe.statusCode === 413) return reply.code(413).send({ error: "invalid", message: "request body too large" });
    } else e = toApiError(err);
    if (e.code === "internal") log.error({ err: err.stack, url: req.url }, "API request failed");
    return reply.code(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: "not_found", message: `no route ${req.method} ${req.url.split("?")[0]}` }));
  for (const ct of ["text/csv", "application/yaml", "application/x-yaml", "text/yaml"]) {
    app.addContentTypeParser(ct, { parseAs: "string" }, (_req, body, done) => done(null, body));
  }
  const result = { app };
  if (o.directory) {
    const dir = o.directory;
    runMigrations(dir.db, API_COMPONENT, API_MIGRATIONS);
    const accounts = new AccountStore(dir.db, (o.sessionTtlS ?? 8 * 3600) * 1e3);
    const service = new ProvisioningService(dir, accounts, log, o.sipRealm ?? dir.domain);
    const authCache = /* @__PURE__ */ new WeakMap();
    const authOf = (req) => {
      if (!authCache.has(req)) authCache.set(req, authenticate(req, accounts, o.localActor));
      return authCache.get(req);
    };
    const routes = new Routes(app, authOf);
    const lock = o.loginLockout;
    const deps = {
      svc: service,
      accounts,
      routes,
      log,
      throttle: lock ? new LoginThrottle(lock.threshold, lock.windowMs, lock.durationMs) : new LoginThrottle(),
      calls: o.calls,
      dataDir: o.dataDir,
      callsStreamIntervalMs: o.callsStreamIntervalMs ?? 1e3,
      streams: /* @__PURE__ */ new Set()
    };
    app.addHook("preClose", async () => {
      for (const s of deps.streams) s.end();
    });
    registerAuthRoutes(deps);
    registerEntityRoutes(deps);
    registerParameterRoutes(deps);
    registerSelfCareRoutes(deps);
    registerCallRoutes(deps);
    registerBulkRoutes(deps);
    app.get("/api/v1/openapi.json", async () => openApiDocument(routes.documented, { title: "Mobility anchor provisioning API", version: VERSION }));
    registerPages(app, o.webRoot ?? defaultWebRoot());
    await bootstrapAdmin(accounts, service, o.env, log);
    result.api = { service, accounts };
  }
  await app.ready();
  return result;
}
async function bootstrapAdmin(accounts, svc, env, log) {
  const user2 = env?.MA_ADMIN_USER;
  const password2 = env?.MA_ADMIN_PASSWORD;
  if (user2 && password2) {
    if (accounts.get(user2)) return;
    const problem = passwordProblem(password2);
    if (problem) throw new Error(`MA_ADMIN_PASSWORD: ${problem}`);
    const passwordHash = await hashPassword(password2);
    svc.write(
      { username: "bootstrap", role: "admin", via: "env", userId: null },
      { action: "create", entity: "accounts", entityId: user2 },
      () => accounts.create({ username: user2, role: "admin", passwordHash })
    );
    log.info({ admin: user2 }, "administrator account created from MA_ADMIN_USER");
    return;
  }
  if (env !== void 0 && accounts.countAdmins() === 0) {
    log.warn('no administrator account: set MA_ADMIN_USER and MA_ADMIN_PASSWORD, or run "mobility-anchor-admin admin create <name>" (see README, API section)');
  }
}

// src/api/http.ts
async function startHttp(o) {
  const { host, port: wanted, ...rest } = o;
  const { app } = await createHttpApp({ env: process.env, ...rest });
  await app.listen({ host, port: wanted });
  const addr = app.server.address();
  const port2 = typeof addr === "object" && addr !== null ? addr.port : wanted;
  return { app, port: port2 };
}

// src/api/metrics.ts
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
var Metrics = class {
  registry = new Registry();
  callsActive;
  callsTotal;
  callSetupSeconds;
  sipMessages;
  parseErrors;
  overloadRejected;
  authFailures;
  mediaCommands;
  mediaLatency;
  registrations;
  constructor(sizes, extra = () => ({})) {
    collectDefaultMetrics({ register: this.registry });
    const r = [this.registry];
    this.callsActive = new Gauge({ name: "ma_calls_active", help: "Calls in progress", registers: r });
    this.callsTotal = new Counter({ name: "ma_calls_total", help: "Calls ended, by result", labelNames: ["result"], registers: r });
    this.callSetupSeconds = new Histogram({
      name: "ma_call_setup_seconds",
      help: "Time from INVITE received to 200 OK sent",
      buckets: [1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: r
    });
    this.sipMessages = new Counter({ name: "ma_sip_messages_total", help: "SIP messages", labelNames: ["direction", "kind"], registers: r });
    this.parseErrors = new Counter({ name: "ma_sip_parse_errors_total", help: "Messages dropped or answered 400 because they could not be parsed", registers: r });
    this.overloadRejected = new Counter({ name: "ma_overload_rejected_total", help: "New calls answered 503 by admission control", registers: r });
    this.authFailures = new Counter({ name: "ma_auth_failures_total", help: "Failed digest authentications", labelNames: ["kind"], registers: r });
    this.mediaCommands = new Counter({ name: "ma_rtpengine_commands_total", help: "rtpengine ng commands", labelNames: ["command", "outcome"], registers: r });
    this.mediaLatency = new Histogram({
      name: "ma_rtpengine_latency_seconds",
      help: "rtpengine ng command round trip",
      labelNames: ["command"],
      buckets: [5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.05, 0.2, 1],
      registers: r
    });
    this.registrations = new Gauge({ name: "ma_registrations", help: "Registered contacts", registers: r });
    new Gauge({
      name: "ma_internal_map_size",
      help: "Entries in internal maps (transactions, dialogs, calls...)",
      labelNames: ["map"],
      registers: r,
      collect() {
        for (const [k, v] of Object.entries(sizes())) this.set({ map: k }, v);
      }
    });
    new Gauge({
      name: "ma_stat",
      help: "Internal counters (transport, transactions)",
      labelNames: ["name"],
      registers: r,
      collect() {
        for (const [k, v] of Object.entries(extra())) this.set({ name: k }, v);
      }
    });
  }
};

// src/sip/message/grammar.ts
var SipSyntaxError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "SipSyntaxError";
  }
};
var TOKEN_CHARS = charTable("-.!%*_+`'~");
var PARAM_VALUE_CHARS = charTable("-.!%*_+`'~:[]/&$@?=");
function charTable(extra) {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = 1;
  for (let c = 65; c <= 90; c++) t[c] = 1;
  for (let c = 97; c <= 122; c++) t[c] = 1;
  for (let i = 0; i < extra.length; i++) t[extra.charCodeAt(i)] = 1;
  return t;
}
function isToken(s) {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}
function splitList(value) {
  if (value.indexOf(",") === -1) {
    if (value.indexOf('"') !== -1) checkQuotes(value);
    const t = value.trim();
    return t === "" ? [] : [t];
  }
  const out = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuote) {
      if (ch === 92) i++;
      else if (ch === 34) inQuote = false;
    } else if (ch === 34) inQuote = true;
    else if (ch === 60) inAngle = true;
    else if (ch === 62) inAngle = false;
    else if (ch === 44 && !inAngle) {
      const part = value.slice(start, i).trim();
      if (part !== "") out.push(part);
      start = i + 1;
    }
  }
  if (inQuote) throw new SipSyntaxError("unterminated quoted string");
  const last = value.slice(start).trim();
  if (last !== "") out.push(last);
  return out;
}
function firstListElement(value) {
  if (value.indexOf(",") !== -1) return splitList(value)[0];
  if (value.indexOf('"') !== -1) checkQuotes(value);
  const t = value.trim();
  return t === "" ? void 0 : t;
}
function checkQuotes(value) {
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuote) {
      if (ch === 92) i++;
      else if (ch === 34) inQuote = false;
    } else if (ch === 34) inQuote = true;
  }
  if (inQuote) throw new SipSyntaxError("unterminated quoted string");
}
function parseParams(text3, lowerValues = false, skipEmpty = false) {
  const params = /* @__PURE__ */ new Map();
  const n = text3.length;
  let i = 0;
  while (i < n) {
    let c = text3.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    if (c !== 59) throw new SipSyntaxError(`expected ';' in parameters near "${clip(text3.slice(i, i + 16))}"`);
    i++;
    while (i < n && ((c = text3.charCodeAt(i)) === 32 || c === 9)) i++;
    const start = i;
    let upper2 = false;
    while (i < n) {
      c = text3.charCodeAt(i);
      if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
      if (c >= 65 && c <= 90) upper2 = true;
      i++;
    }
    if (i === start) {
      if (i >= n || c === 59) {
        if (skipEmpty) continue;
        throw new SipSyntaxError("empty parameter name");
      }
      if (c === 61) throw new SipSyntaxError("empty parameter name");
      throw new SipSyntaxError(`invalid parameter name near "${clip(text3.slice(i, i + 16))}"`);
    }
    const raw = text3.slice(start, i);
    const name = upper2 ? raw.toLowerCase() : raw;
    while (i < n && ((c = text3.charCodeAt(i)) === 32 || c === 9)) i++;
    if (i >= n || c === 59) {
      params.set(name, null);
      continue;
    }
    if (c !== 61) throw new SipSyntaxError(`invalid parameter name "${clip(raw + text3.slice(i, i + 8))}"`);
    i++;
    while (i < n && ((c = text3.charCodeAt(i)) === 32 || c === 9)) i++;
    if (i < n && c === 34) {
      const q = readQuoted(text3, i);
      params.set(name, q.value);
      i = q.end;
      continue;
    }
    const vs = i;
    while (i < n && (c = text3.charCodeAt(i)) !== 59 && c !== 32 && c !== 9) i++;
    if (i === vs) throw new SipSyntaxError(`empty value for parameter "${clip(name)}"`);
    const value = text3.slice(vs, i);
    params.set(name, lowerValues ? value.toLowerCase() : value);
  }
  return params;
}
function serializeParams(params) {
  let out = "";
  for (const [k, v] of params) {
    if (v === null) out += `;${k}`;
    else out += `;${k}=${needsQuoting(v) ? quote(v) : v}`;
  }
  return out;
}
function readQuoted(text3, start) {
  const n = text3.length;
  let out;
  let i = start + 1;
  let seg = i;
  while (i < n) {
    const c = text3.charCodeAt(i);
    if (c === 34) {
      const tail = text3.slice(seg, i);
      return { value: out === void 0 ? tail : out + tail, end: i + 1 };
    }
    if (c === 92) {
      if (i + 1 >= n) break;
      out = (out ?? "") + text3.slice(seg, i) + text3[i + 1];
      i += 2;
      seg = i;
      continue;
    }
    i++;
  }
  throw new SipSyntaxError("unterminated quoted string");
}
function quote(value) {
  if (value.indexOf('"') === -1 && value.indexOf("\\") === -1) return `"${value}"`;
  return `"${value.replace(/(["\\])/g, "\\$1")}"`;
}
function needsQuoting(v) {
  const n = v.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || PARAM_VALUE_CHARS[c] !== 1) return true;
  }
  return false;
}
function clip(s) {
  return s.length > 40 ? `${s.slice(0, 40)}\u2026` : s;
}

// src/sip/message/header-names.ts
var COMPACT = /* @__PURE__ */ new Map([
  ["i", "call-id"],
  ["m", "contact"],
  ["f", "from"],
  ["t", "to"],
  ["v", "via"],
  ["l", "content-length"],
  ["c", "content-type"],
  ["k", "supported"],
  ["s", "subject"],
  ["e", "content-encoding"],
  ["o", "event"],
  // RFC 6665
  ["r", "refer-to"],
  // RFC 3515
  ["b", "referred-by"],
  // RFC 3892
  ["u", "allow-events"],
  // RFC 6665
  ["x", "session-expires"],
  // RFC 4028
  ["a", "accept-contact"],
  // RFC 3841
  ["j", "reject-contact"],
  // RFC 3841
  ["d", "request-disposition"],
  // RFC 3841
  ["y", "identity"],
  // RFC 8224
  ["n", "identity-info"]
]);
var CANONICAL = /* @__PURE__ */ new Map([
  ["call-id", "Call-ID"],
  ["cseq", "CSeq"],
  ["www-authenticate", "WWW-Authenticate"],
  ["mime-version", "MIME-Version"],
  ["p-asserted-identity", "P-Asserted-Identity"],
  ["p-preferred-identity", "P-Preferred-Identity"],
  ["rack", "RAck"],
  ["rseq", "RSeq"],
  ["sip-etag", "SIP-ETag"],
  ["sip-if-match", "SIP-If-Match"],
  ["__proto__", "__proto__"]
]);
var LIST_HEADERS = /* @__PURE__ */ new Set([
  "via",
  "contact",
  "route",
  "record-route",
  "allow",
  "supported",
  "require",
  "proxy-require",
  "unsupported",
  "accept",
  "accept-encoding",
  "accept-language",
  "allow-events",
  "content-encoding",
  "content-language",
  "in-reply-to",
  "p-asserted-identity",
  "p-preferred-identity",
  "path",
  "service-route",
  "reason",
  "security-client",
  "security-server",
  "security-verify",
  "alert-info",
  "call-info",
  "error-info",
  "history-info",
  "diversion",
  "accept-contact",
  "reject-contact",
  "request-disposition"
]);
var lowerCache = /* @__PURE__ */ new Map();
function normalizeHeaderName(name) {
  let key2 = lowerCache.get(name);
  if (key2 !== void 0) return key2;
  const lower = name.toLowerCase();
  key2 = lower.length === 1 ? COMPACT.get(lower) ?? lower : lower;
  if (lowerCache.size < 4096) lowerCache.set(name, key2);
  return key2;
}
var canonicalCache = /* @__PURE__ */ new Map();
function canonicalHeaderName(key2) {
  const special = CANONICAL.get(key2) ?? canonicalCache.get(key2);
  if (special !== void 0) return special;
  let out = "";
  let upper2 = true;
  for (let i = 0; i < key2.length; i++) {
    const ch = key2[i];
    out += upper2 ? ch.toUpperCase() : ch;
    upper2 = ch === "-";
  }
  if (canonicalCache.size < 1024) canonicalCache.set(key2, out);
  return out;
}
function isListHeader(key2) {
  return LIST_HEADERS.has(key2);
}

// src/sip/message/uri.ts
var SipUri = class _SipUri {
  constructor(scheme, user2, host, port2 = void 0, params = /* @__PURE__ */ new Map(), headers = /* @__PURE__ */ new Map(), password2 = void 0) {
    this.scheme = scheme;
    this.user = user2;
    this.host = host;
    this.port = port2;
    this.params = params;
    this.headers = headers;
    this.password = password2;
  }
  scheme;
  user;
  host;
  port;
  params;
  headers;
  password;
  get transport() {
    const t = this.params.get("transport");
    return t === null || t === void 0 ? void 0 : t.toLowerCase();
  }
  /** Host as written in a Via/connection: IPv6 references keep their brackets. */
  get hostport() {
    return this.port === void 0 ? this.host : `${this.host}:${this.port}`;
  }
  clone() {
    return new _SipUri(this.scheme, this.user, this.host, this.port, new Map(this.params), new Map(this.headers), this.password);
  }
  toString() {
    let s = `${this.scheme}:`;
    if (this.user !== void 0) {
      s += this.user;
      if (this.password !== void 0) s += `:${this.password}`;
      s += "@";
    }
    s += this.host;
    if (this.port !== void 0) s += `:${this.port}`;
    if (this.params.size > 0) s += serializeParams(this.params);
    if (this.headers.size > 0) {
      let first = true;
      for (const [k, v] of this.headers) {
        s += `${first ? "?" : "&"}${k}=${v}`;
        first = false;
      }
    }
    return s;
  }
};
var TelUri = class {
  constructor(number, params = /* @__PURE__ */ new Map()) {
    this.number = number;
    this.params = params;
  }
  number;
  params;
  scheme = "tel";
  get isGlobal() {
    return this.number.startsWith("+");
  }
  toString() {
    return `tel:${this.number}${serializeParams(this.params)}`;
  }
};
var AbsoluteUri = class {
  constructor(scheme, rest) {
    this.scheme = scheme;
    this.rest = rest;
  }
  scheme;
  rest;
  toString() {
    return `${this.scheme}:${this.rest}`;
  }
};
var USER_CHARS = charTable("-_.!~*'()&=+$,;?/");
var HOST_CHARS = charTable("-.");
var SCHEME_CHARS = charTable("+-.");
function parseUri(text3) {
  const colon = text3.indexOf(":");
  if (colon <= 0) throw new SipSyntaxError(`URI without scheme: "${clip2(text3)}"`);
  const c0 = text3.charCodeAt(0) | 32;
  if (c0 < 97 || c0 > 122) throw new SipSyntaxError(`invalid URI scheme "${clip2(text3.slice(0, colon))}"`);
  for (let i = 1; i < colon; i++) {
    const c = text3.charCodeAt(i);
    if (c >= 128 || SCHEME_CHARS[c] !== 1) throw new SipSyntaxError(`invalid URI scheme "${clip2(text3.slice(0, colon))}"`);
  }
  if (colon === 3 && (text3.charCodeAt(0) | 32) === 115 && (text3.charCodeAt(1) | 32) === 105 && (text3.charCodeAt(2) | 32) === 112) {
    return parseSipUri("sip", text3, 4);
  }
  const scheme = text3.slice(0, colon).toLowerCase();
  if (scheme === "sips") return parseSipUri("sips", text3, colon + 1);
  const rest = text3.slice(colon + 1);
  if (scheme === "tel") return parseTelUri(rest);
  if (rest === "") throw new SipSyntaxError(`invalid URI "${clip2(text3)}"`);
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62 || c === 34) throw new SipSyntaxError(`invalid URI "${clip2(text3)}"`);
  }
  return new AbsoluteUri(scheme, rest);
}
function parseSipUri(scheme, text3, from) {
  const n = text3.length;
  const at = text3.indexOf("@", from);
  let user2;
  let password2;
  let i = from;
  if (at !== -1) {
    let pc = -1;
    for (let k = from; k < at; k++) {
      const c = text3.charCodeAt(k);
      if (c === 58) {
        pc = k;
        break;
      }
      if (c === 37) {
        if (!isHex(text3.charCodeAt(k + 1)) || !isHex(text3.charCodeAt(k + 2)) || k + 2 >= at) throw new SipSyntaxError(`invalid escape in SIP URI user part "${clip2(text3)}"`);
        k += 2;
      } else if (c >= 128 || USER_CHARS[c] !== 1) throw new SipSyntaxError(`invalid user part in SIP URI "${clip2(text3)}"`);
    }
    const userEnd = pc === -1 ? at : pc;
    if (userEnd === from) throw new SipSyntaxError(`empty user part in SIP URI "${clip2(text3)}"`);
    user2 = text3.slice(from, userEnd);
    if (pc !== -1) {
      password2 = text3.slice(pc + 1, at);
      if (hasSpaceOrControl(password2)) throw new SipSyntaxError(`whitespace or control character in URI "${clip2(text3)}"`);
    }
    i = at + 1;
  }
  let host;
  let port2;
  if (i < n && text3.charCodeAt(i) === 91) {
    const close = text3.indexOf("]", i);
    if (close === -1) throw new SipSyntaxError("unterminated IPv6 reference");
    const inner = text3.slice(i + 1, close);
    if (!isIPv6Reference(inner)) throw new SipSyntaxError(`invalid IPv6 reference "${clip2(inner)}"`);
    host = text3.slice(i, close + 1);
    i = close + 1;
    if (i < n) {
      const c = text3.charCodeAt(i);
      if (c !== 58 && c !== 59 && c !== 63) throw new SipSyntaxError(`junk after IPv6 reference: "${clip2(text3.slice(i))}"`);
    }
  } else {
    const hs = i;
    while (i < n) {
      const c = text3.charCodeAt(i);
      if (c === 58 || c === 59 || c === 63) break;
      if (c >= 128 || HOST_CHARS[c] !== 1) throw new SipSyntaxError(`invalid host in SIP URI: "${clip2(text3.slice(hs))}"`);
      i++;
    }
    if (i === hs) throw new SipSyntaxError(`invalid host in SIP URI: "${clip2(text3)}"`);
    host = text3.slice(hs, i);
  }
  if (i < n && text3.charCodeAt(i) === 58) {
    const ps = ++i;
    let p = 0;
    while (i < n) {
      const c2 = text3.charCodeAt(i);
      if (c2 < 48 || c2 > 57) break;
      p = p * 10 + (c2 - 48);
      i++;
    }
    const c = i < n ? text3.charCodeAt(i) : 59;
    if (i === ps || i - ps > 5 || c !== 59 && c !== 63) throw new SipSyntaxError(`invalid port "${clip2(text3.slice(ps))}"`);
    if (p > 65535) throw new SipSyntaxError(`port out of range: ${p}`);
    port2 = p;
  }
  if (i < n && hasSpaceOrControl(i === from ? text3 : text3.slice(i))) throw new SipSyntaxError(`whitespace or control character in URI "${clip2(text3)}"`);
  let params;
  const q = text3.indexOf("?", i);
  if (i < n && text3.charCodeAt(i) === 59) params = parseParams(q === -1 ? text3.slice(i) : text3.slice(i, q));
  else params = /* @__PURE__ */ new Map();
  const headers = /* @__PURE__ */ new Map();
  if (q !== -1) {
    const headersText = text3.slice(q + 1);
    for (const pair of headersText.split("&")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new SipSyntaxError(`invalid URI header "${clip2(pair)}"`);
      headers.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return new SipUri(scheme, user2, host, port2, params, headers, password2);
}
var SPACE_OR_CONTROL = /[\x00-\x20\x7f]/;
function hasSpaceOrControl(s) {
  return SPACE_OR_CONTROL.test(s);
}
function isHex(c) {
  return c >= 48 && c <= 57 || (c | 32) >= 97 && (c | 32) <= 102;
}
function isIPv4Address(s) {
  const n = s.length;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    const start = i;
    let v = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
      if (i - start > 3) return false;
    }
    const len = i - start;
    if (len === 0 || v > 255 || len > 1 && s.charCodeAt(start) === 48) return false;
    if (part < 3) {
      if (i >= n || s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  return i === n;
}
function isIPv6Address(s) {
  const n = s.length;
  if (n < 2) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    compressed = true;
    i = 2;
    if (i === n) return true;
  }
  for (; ; ) {
    const start = i;
    while (i < n && i - start < 5 && isHex(s.charCodeAt(i))) i++;
    if (i < n && s.charCodeAt(i) === 46) {
      if (!isIPv4Address(s.slice(start))) return false;
      groups += 2;
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === n) break;
    } else if (i === n) return false;
    if (groups > 8) return false;
  }
  return compressed ? groups <= 7 : groups === 8;
}
function isIPv6Reference(inner) {
  if (isIPv6Address(inner)) return true;
  const k = inner.indexOf(":::");
  if (k === -1) return false;
  const tail = inner.slice(k + 3);
  return isIPv4Address(tail) && isIPv6Address(`${inner.slice(0, k)}::${tail}`);
}
function isHostOrReference(host) {
  const n = host.length;
  if (n === 0) return false;
  if (host.charCodeAt(0) === 91) return n > 2 && host.charCodeAt(n - 1) === 93 && isIPv6Reference(host.slice(1, n - 1));
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c >= 128 || HOST_CHARS[c] !== 1) return false;
  }
  return true;
}
function parseTelUri(rest) {
  const semi = rest.indexOf(";");
  const number = semi === -1 ? rest : rest.slice(0, semi);
  if (!isTelNumber(number)) throw new SipSyntaxError(`invalid tel URI number "${clip2(number)}"`);
  for (let i = number.length; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 32 || c === 127) throw new SipSyntaxError(`whitespace or control character in tel URI "${clip2(rest)}"`);
  }
  return new TelUri(number, parseParams(semi === -1 ? "" : rest.slice(semi)));
}
function isTelNumber(s) {
  const global = s.charCodeAt(0) === 43;
  let digits = 0;
  for (let i = global ? 1 : 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 45 || c === 46 || c === 40 || c === 41) continue;
    if (c >= 48 && c <= 57) digits++;
    else if (!global && (isHex(c) || c === 42 || c === 35)) digits++;
    else return false;
  }
  return digits > 0;
}
function unescapeUriPart(s) {
  if (s.indexOf("%") === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
function uriUserDigits(uri) {
  if (uri instanceof TelUri) return uri.number.replace(/[-.()]/g, "");
  if (uri instanceof SipUri && uri.user !== void 0) return unescapeUriPart(uri.user).replace(/[-.()]/g, "");
  return void 0;
}
function clip2(s) {
  return s.length > 40 ? `${s.slice(0, 40)}\u2026` : s;
}

// src/sip/message/name-addr.ts
var NameAddr = class {
  constructor(uri, displayName = void 0, params = /* @__PURE__ */ new Map(), bare2 = false) {
    this.uri = uri;
    this.displayName = displayName;
    this.params = params;
    this.bare = bare2;
  }
  uri;
  displayName;
  params;
  bare;
  get tag() {
    return this.params.get("tag") ?? void 0;
  }
  set tag(value) {
    if (value === void 0) this.params.delete("tag");
    else this.params.set("tag", value);
  }
  clone() {
    return parseNameAddr(this.toString());
  }
  toString() {
    const params = this.params.size === 0 ? "" : serializeParams(this.params);
    if (this.displayName !== void 0 && this.displayName !== "") return `${quote(this.displayName)} <${this.uri.toString()}>${params}`;
    return `<${this.uri.toString()}>${params}`;
  }
};
function parseNameAddr(text3) {
  const s = text3;
  let i = 0;
  let end = s.length;
  let c = 0;
  while (i < end && ((c = s.charCodeAt(i)) === 32 || c === 9)) i++;
  while (end > i && ((c = s.charCodeAt(end - 1)) === 32 || c === 9 || c === 13 || c === 10)) end--;
  if (i >= end) throw new SipSyntaxError("empty address");
  let displayName;
  c = s.charCodeAt(i);
  if (c === 34) {
    const q2 = readQuoted(s, i);
    displayName = q2.value;
    i = q2.end;
    while (i < end && ((c = s.charCodeAt(i)) === 32 || c === 9)) i++;
    if (i >= end || c !== 60) throw new SipSyntaxError("display name not followed by <URI>");
    return angle(s, i, end, displayName);
  }
  if (c === 60) return angle(s, i, end, void 0);
  const lt = s.indexOf("<", i);
  if (lt !== -1 && lt < end) {
    let dn = "";
    let word = -1;
    for (let k = i; k < lt; k++) {
      const ch = s.charCodeAt(k);
      if (ch === 32 || ch === 9) {
        if (word !== -1) {
          dn += dn === "" ? s.slice(word, k) : ` ${s.slice(word, k)}`;
          word = -1;
        }
      } else if (ch < 128 && TOKEN_CHARS[ch] === 1) {
        if (word === -1) word = k;
      } else throw new SipSyntaxError(`invalid display name "${clip3(s.slice(i, lt))}"`);
    }
    if (word !== -1) dn += dn === "" ? s.slice(word, lt) : ` ${s.slice(word, lt)}`;
    return angle(s, lt, end, dn === "" ? void 0 : dn);
  }
  let semi = s.indexOf(";", i);
  if (semi >= end) semi = -1;
  let ue = semi === -1 ? end : semi;
  while (ue > i && ((c = s.charCodeAt(ue - 1)) === 32 || c === 9)) ue--;
  const q = s.indexOf("?", i);
  if (q !== -1 && q < ue) throw new SipSyntaxError("addr-spec with URI headers must use <>");
  const uri = parseUri(i === 0 && ue === s.length ? s : s.slice(i, ue));
  return new NameAddr(uri, void 0, semi === -1 ? /* @__PURE__ */ new Map() : parseParams(s.slice(semi, end)), true);
}
function angle(s, lt, end, displayName) {
  const gt = s.indexOf(">", lt);
  if (gt === -1 || gt >= end) throw new SipSyntaxError("missing > in address");
  const uri = parseUri(s.slice(lt + 1, gt));
  const params = gt + 1 >= end ? /* @__PURE__ */ new Map() : parseParams(s.slice(gt + 1, end));
  return new NameAddr(uri, displayName, params);
}
function clip3(s) {
  return s.length > 32 ? `${s.slice(0, 32)}\u2026` : s;
}

// src/sip/message/raw-headers.ts
var RAW_STRIDE = 7;
var RAW_NAME = 1;
var RAW_NAME_START = 2;
var RAW_VALUE_START = 4;
var RAW_VALUE_END = 5;
var RAW_FLAGS = 6;
var RAW_FOLDED = 1;
var RAW_CLEAN = 4;
var HIGH = /[\x80-\xff]/;
function hasHighBytes(s) {
  return HIGH.test(s);
}
var RawHeaders = class {
  constructor(text3, data, ascii = false) {
    this.text = text3;
    this.data = data;
    this.ascii = ascii;
  }
  text;
  data;
  ascii;
  values;
  get count() {
    return this.data.length / RAW_STRIDE;
  }
  key(i) {
    return this.data[i * RAW_STRIDE];
  }
  indexOf(key2, from = 0) {
    const data = this.data;
    for (let j = from * RAW_STRIDE; j < data.length; j += RAW_STRIDE) if (data[j] === key2) return j / RAW_STRIDE;
    return -1;
  }
  num(i, slot) {
    return this.data[i * RAW_STRIDE + slot];
  }
  value(i) {
    const values = this.values ??= new Array(this.count);
    const have = values[i];
    if (have !== void 0) return have;
    let v = this.asciiValue(i);
    if (!this.ascii && hasHighBytes(v)) v = Buffer.from(v, "latin1").toString("utf8");
    values[i] = v;
    return v;
  }
  /** The value as latin1 text, without UTF-8 decoding (for values that must be ASCII, like Content-Length). */
  asciiValue(i) {
    const vs = this.num(i, RAW_VALUE_START);
    const ve = this.num(i, RAW_VALUE_END);
    return (this.num(i, RAW_FLAGS) & RAW_FOLDED) === 0 ? this.text.slice(vs, ve) : unfold(this.text, vs, ve);
  }
  name(i) {
    return this.data[i * RAW_STRIDE + RAW_NAME];
  }
  isClean(i) {
    return (this.num(i, RAW_FLAGS) & RAW_CLEAN) !== 0;
  }
  /** Header i starts right after the CRLF of header i-1 (no skipped line between them). */
  followsDirectly(i) {
    return i > 0 && this.num(i, RAW_NAME_START) === this.num(i - 1, RAW_VALUE_END) + 2;
  }
  /** text of headers i..j (inclusive, all clean and adjacent) without the final CRLF. */
  cleanRun(i, j) {
    return this.text.slice(this.num(i, RAW_NAME_START), this.num(j, RAW_VALUE_END));
  }
  toFields() {
    const n = this.count;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { key: this.key(i), name: this.name(i), value: this.value(i) };
    return out;
  }
};
function unfold(text3, from, to) {
  let out = "";
  let i = from;
  while (i < to) {
    let j = text3.indexOf("\n", i);
    if (j === -1 || j > to) j = to;
    let s = i;
    let e = j;
    while (s < e && isSpace(text3.charCodeAt(s))) s++;
    while (e > s && isSpace(text3.charCodeAt(e - 1))) e--;
    if (e > s) out = out === "" ? text3.slice(s, e) : `${out} ${text3.slice(s, e)}`;
    i = j + 1;
  }
  return out;
}
function isSpace(c) {
  return c === 32 || c === 9 || c === 13;
}

// src/sip/message/via.ts
var HOST_CHARS2 = charTable("-.");
var MAGIC_COOKIE = "z9hG4bK";
var Via = class {
  constructor(transport, host, port2 = void 0, params = /* @__PURE__ */ new Map(), protocol = "SIP/2.0") {
    this.transport = transport;
    this.host = host;
    this.port = port2;
    this.params = params;
    this.protocol = protocol;
  }
  transport;
  host;
  port;
  params;
  protocol;
  get branch() {
    return this.params.get("branch") ?? void 0;
  }
  /**
   * The received address. Written with or without IPv6 brackets by peers (RFC 5118
   * §4.5 asks to accept both); reported without them, as RFC 3261's grammar has it.
   */
  get received() {
    const r = this.params.get("received");
    if (r === null || r === void 0) return void 0;
    return r.length > 2 && r.charCodeAt(0) === 91 && r.charCodeAt(r.length - 1) === 93 ? r.slice(1, -1) : r;
  }
  /** undefined: no rport; null: rport requested without a value; number: filled in. */
  get rport() {
    const v = this.params.get("rport");
    return v === void 0 || v === null ? v : Number(v);
  }
  /** host:port as it appears in the Via sent-by (IPv6 keeps brackets). */
  get sentBy() {
    return this.port === void 0 ? this.host : `${this.host}:${this.port}`;
  }
  toString() {
    const params = this.params.size === 0 ? "" : serializeParams(this.params);
    return this.port === void 0 ? `${this.protocol}/${this.transport} ${this.host}${params}` : `${this.protocol}/${this.transport} ${this.host}:${this.port}${params}`;
  }
};
function parseVia(text3) {
  const n = text3.length;
  let i = 0;
  let c = 0;
  while (i < n && ((c = text3.charCodeAt(i)) === 32 || c === 9)) i++;
  const p1 = i;
  i = skipToken(text3, i);
  const p1e = i;
  i = expectSlash(text3, i, p1 === p1e);
  const p2 = i;
  i = skipToken(text3, i);
  const p2e = i;
  i = expectSlash(text3, i, p2 === p2e);
  const p3 = i;
  i = skipToken(text3, i);
  if (i === p3) throw new SipSyntaxError(`invalid Via sent-protocol: "${clip4(text3)}"`);
  const transport = upper(text3.slice(p3, i));
  const ws = i;
  while (i < n && ((c = text3.charCodeAt(i)) === 32 || c === 9)) i++;
  if (i === ws) throw new SipSyntaxError(`invalid Via sent-protocol: "${clip4(text3)}"`);
  const protocol = isSip20(text3, p1, p1e, p2, p2e) ? "SIP/2.0" : `${text3.slice(p1, p1e).toUpperCase()}/${text3.slice(p2, p2e)}`;
  const hs = i;
  if (i < n && text3.charCodeAt(i) === 91) {
    const close = text3.indexOf("]", i);
    if (close === -1) throw new SipSyntaxError("unterminated IPv6 reference in Via");
    i = close + 1;
    const host2 = text3.slice(hs, i);
    if (!isHostOrReference(host2)) throw new SipSyntaxError(`invalid Via host "${clip4(host2)}"`);
  } else {
    while (i < n) {
      c = text3.charCodeAt(i);
      if (c === 32 || c === 9 || c === 59 || c === 58) break;
      if (c >= 128 || HOST_CHARS2[c] !== 1) throw new SipSyntaxError(`invalid Via host "${clip4(text3.slice(hs, i + 8))}"`);
      i++;
    }
    if (i === hs) throw new SipSyntaxError(`invalid Via host "${clip4(text3)}"`);
  }
  const host = text3.slice(hs, i);
  let k = i;
  while (k < n && ((c = text3.charCodeAt(k)) === 32 || c === 9)) k++;
  let port2;
  if (k < n && c === 58) {
    k++;
    while (k < n && ((c = text3.charCodeAt(k)) === 32 || c === 9)) k++;
    const ps = k;
    let p = 0;
    while (k < n && (c = text3.charCodeAt(k)) >= 48 && c <= 57) {
      p = p * 10 + (c - 48);
      k++;
    }
    if (k === ps || k - ps > 5 || p > 65535) throw new SipSyntaxError(`invalid Via port "${clip4(text3.slice(ps, ps + 8))}"`);
    port2 = p;
    i = k;
  }
  const params = i >= n ? /* @__PURE__ */ new Map() : parseParams(i === 0 ? text3 : text3.slice(i), false, true);
  const rp = params.get("rport");
  if (rp !== void 0 && rp !== null && !isPortText(rp)) throw new SipSyntaxError("invalid rport value");
  return new Via(transport, host, port2, params, protocol);
}
function skipToken(text3, i) {
  const n = text3.length;
  while (i < n) {
    const c = text3.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
    i++;
  }
  return i;
}
function expectSlash(text3, i, empty) {
  const n = text3.length;
  let c = 0;
  while (i < n && ((c = text3.charCodeAt(i)) === 32 || c === 9)) i++;
  if (empty || i >= n || c !== 47) throw new SipSyntaxError(`invalid Via sent-protocol: "${clip4(text3)}"`);
  i++;
  while (i < n && ((c = text3.charCodeAt(i)) === 32 || c === 9)) i++;
  return i;
}
function isSip20(text3, p1, p1e, p2, p2e) {
  return p1e - p1 === 3 && p2e - p2 === 3 && (text3.charCodeAt(p1) | 32) === 115 && (text3.charCodeAt(p1 + 1) | 32) === 105 && (text3.charCodeAt(p1 + 2) | 32) === 112 && text3.charCodeAt(p2) === 50 && text3.charCodeAt(p2 + 1) === 46 && text3.charCodeAt(p2 + 2) === 48;
}
function upper(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return s.toUpperCase();
  }
  return s;
}
function isPortText(s) {
  if (s.length === 0 || s.length > 5) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
function clip4(s) {
  return s.length > 40 ? `${s.slice(0, 40)}\u2026` : s;
}

// src/sip/message/message.ts
var CSeq = class {
  constructor(seq, method) {
    this.seq = seq;
    this.method = method;
  }
  seq;
  method;
  toString() {
    return `${this.seq} ${this.method}`;
  }
};
var EMPTY = Buffer.alloc(0);
var SipMessage = class {
  bodyBuf = EMPTY;
  /** A parsed body still inside the received bytes: made a Buffer view on first read. */
  bodySrc;
  bodyFrom = 0;
  bodyTo = 0;
  /** First structural problem found while parsing headers (validate() reports it as 400). */
  parseError;
  /** The header list once materialised (always for messages built in code). */
  fields;
  /** The header block as received, until `fields` is materialised. */
  raw;
  /** Live parsed values per header key, written back on serialisation. */
  live;
  cache;
  /** The body bytes (for parsed messages a view of the received buffer). */
  get body() {
    const src = this.bodySrc;
    if (src !== void 0) {
      this.bodyBuf = src.subarray(this.bodyFrom, this.bodyTo);
      this.bodySrc = void 0;
    }
    return this.bodyBuf;
  }
  set body(value) {
    this.bodyBuf = value;
    this.bodySrc = void 0;
  }
  /** @internal Used by the parser: the body is buf[from, to), viewed when first read. */
  adoptBody(buf, from, to) {
    this.bodySrc = buf;
    this.bodyFrom = from;
    this.bodyTo = to;
  }
  get bodyLength() {
    return this.bodySrc !== void 0 ? this.bodyTo - this.bodyFrom : this.bodyBuf.length;
  }
  /** The header fields in order. Public and mutable; reading it materialises a parsed header block. */
  get headers() {
    let f = this.fields;
    if (f === void 0) {
      f = this.raw === void 0 ? [] : this.raw.toFields();
      this.fields = f;
      this.raw = void 0;
    }
    return f;
  }
  set headers(value) {
    this.fields = value;
    this.raw = void 0;
  }
  /**
   * @internal Used by the parser: the header block as received. Replaces any
   * header fields the message has.
   */
  adoptRawHeaders(raw) {
    this.raw = raw;
    this.fields = void 0;
    this.live = void 0;
    this.cache = void 0;
  }
  // ---------------------------------------------------------------- raw access
  /** First value of a header (list headers: the first element). */
  get(name) {
    return this.getKey(normalizeHeaderName(name));
  }
  /** All values of a header; list headers are split into elements. */
  getAll(name) {
    const key2 = normalizeHeaderName(name);
    const live = this.live?.get(key2);
    if (live !== void 0) return live.map((v) => v.toString());
    const out = [];
    const list2 = isListHeader(key2);
    const raw = this.raw;
    if (raw !== void 0) {
      for (let i = raw.indexOf(key2); i !== -1; i = raw.indexOf(key2, i + 1)) {
        if (list2) for (const v of splitList(raw.value(i))) out.push(v);
        else out.push(raw.value(i));
      }
      return out;
    }
    for (const h of this.headers) {
      if (h.key !== key2) continue;
      if (list2) for (const v of splitList(h.value)) out.push(v);
      else out.push(h.value);
    }
    return out;
  }
  /**
   * Number of header fields carrying this header as received or set (a list header
   * line with several elements counts once; live values are not looked at).
   */
  fieldCount(name) {
    const key2 = normalizeHeaderName(name);
    let n = 0;
    const raw = this.raw;
    if (raw !== void 0) {
      for (let i = raw.indexOf(key2); i !== -1; i = raw.indexOf(key2, i + 1)) n++;
      return n;
    }
    for (const h of this.headers) if (h.key === key2) n++;
    return n;
  }
  has(name) {
    const key2 = normalizeHeaderName(name);
    const live = this.live?.get(key2);
    if (live !== void 0) return live.length > 0;
    if (this.raw !== void 0) return this.raw.indexOf(key2) !== -1;
    for (const h of this.headers) if (h.key === key2) return true;
    return false;
  }
  /** Replace every field of this header with the given value(s), at the first one's position. */
  set(name, value) {
    const key2 = normalizeHeaderName(name);
    this.forget(key2);
    const values = typeof value === "string" ? [value] : value;
    const headers = this.headers;
    let at = headers.findIndex((h) => h.key === key2);
    const kept = headers.filter((h) => h.key !== key2);
    if (at === -1 || at > kept.length) at = kept.length;
    const display = canonicalHeaderName(key2);
    kept.splice(at, 0, ...values.map((v) => ({ key: key2, name: display, value: v })));
    this.fields = kept;
    return this;
  }
  append(name, value) {
    const key2 = normalizeHeaderName(name);
    this.writeBack(key2);
    this.forget(key2);
    this.headers.push({ key: key2, name: canonicalHeaderName(key2), value });
    return this;
  }
  /** Insert before every other field of this header (Via, Record-Route, Route). */
  prepend(name, value) {
    const key2 = normalizeHeaderName(name);
    this.writeBack(key2);
    this.forget(key2);
    const headers = this.headers;
    const at = headers.findIndex((h) => h.key === key2);
    const field = { key: key2, name: canonicalHeaderName(key2), value };
    if (at === -1) headers.push(field);
    else headers.splice(at, 0, field);
    return this;
  }
  remove(name) {
    const key2 = normalizeHeaderName(name);
    this.forget(key2);
    if (this.raw !== void 0 && this.raw.indexOf(key2) === -1) return this;
    this.fields = this.headers.filter((h) => h.key !== key2);
    return this;
  }
  // ---------------------------------------------------------- typed accessors
  get callId() {
    const v = this.getKey("call-id");
    if (v === void 0) throw new SipSyntaxError("missing Call-ID");
    return v;
  }
  get cseq() {
    return this.liveOne("cseq", parseCSeq);
  }
  get from() {
    return this.liveOne("from", parseNameAddr);
  }
  get to() {
    return this.liveOne("to", parseNameAddr);
  }
  /** All Via values, top first. Live: edit in place (e.g. received/rport). */
  get vias() {
    return this.liveList("via", parseVia);
  }
  /** The top Via. Parses only the first Via value; the others stay text until read. */
  get topVia() {
    let list2 = this.live?.get("via");
    if (list2 === void 0) {
      const values = this.listValues("via");
      if (values.length === 0) throw new SipSyntaxError("missing Via");
      const top2 = parseVia(values[0]);
      list2 = values;
      list2[0] = top2;
      (this.live ??= /* @__PURE__ */ new Map()).set("via", list2);
      return top2;
    }
    const first = list2[0];
    if (first === void 0) throw new SipSyntaxError("missing Via");
    if (typeof first !== "string") return first;
    const top = parseVia(first);
    list2[0] = top;
    return top;
  }
  /** Contacts; `'*'` for a wildcard Contact (REGISTER). */
  get contacts() {
    if (this.live?.has("contact") !== true) {
      const raw = this.getKey("contact");
      if (raw !== void 0 && raw.trim() === "*") return "*";
    }
    return this.liveList("contact", parseNameAddr);
  }
  get routes() {
    return this.liveList("route", parseNameAddr);
  }
  get recordRoutes() {
    return this.liveList("record-route", parseNameAddr);
  }
  /** Max-Forwards (1*DIGIT, 0-255); undefined when absent. */
  get maxForwards() {
    const v = this.getKey("max-forwards");
    if (v === void 0) return void 0;
    const n = parseSmallNumber(v);
    if (n === void 0 || n > 255) throw new SipSyntaxError(`invalid Max-Forwards "${v.trim().slice(0, 16)}"`);
    return n;
  }
  get contentType() {
    return this.getKey("content-type")?.trim();
  }
  /** Lower-case option tags of a list header such as Supported or Require. */
  optionTags(name) {
    return this.getAll(name).map((t) => t.trim().toLowerCase());
  }
  /** Body as text (SDP, sipfrag, DTMF INFO). */
  get bodyText() {
    return this.body.toString("utf8");
  }
  setBody(body, contentType) {
    this.body = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    if (contentType !== void 0) this.set("content-type", contentType);
    else if (this.body.length === 0) this.remove("content-type");
    return this;
  }
  // ------------------------------------------------------------- serialising
  toString() {
    return this.toBuffer().toString("utf8");
  }
  toBuffer() {
    const s = this.raw !== void 0 ? this.headRaw(this.raw) : this.headFields(this.headers);
    const body = this.body;
    if (body.length === 0) return Buffer.from(s, "utf8");
    const headLen = Buffer.byteLength(s, "utf8");
    const out = Buffer.allocUnsafe(headLen + body.length);
    out.write(s, 0, "utf8");
    body.copy(out, headLen);
    return out;
  }
  headFields(headers) {
    let s = this.startLine() + "\r\n";
    const live = this.live;
    const written = live === void 0 ? void 0 : /* @__PURE__ */ new Set();
    for (const h of headers) {
      if (h.key === "content-length") continue;
      const values = live?.get(h.key);
      if (values !== void 0) {
        if (written.has(h.key)) continue;
        written.add(h.key);
        for (const v of values) s += `${h.name}: ${v.toString()}\r
`;
        continue;
      }
      s += `${h.name}: ${h.value}\r
`;
    }
    return `${s}Content-Length: ${this.bodyLength}\r
\r
`;
  }
  /** Serialise from the received header block: unchanged clean lines are copied in runs. */
  headRaw(raw) {
    let s = this.startLine() + "\r\n";
    const live = this.live;
    let written;
    let run = -1;
    const n = raw.count;
    for (let i = 0; i <= n; i++) {
      const key2 = i < n ? raw.key(i) : "";
      const values = i === n || key2 === "content-length" ? void 0 : live?.get(key2);
      const clean = i < n && key2 !== "content-length" && values === void 0 && raw.isClean(i);
      if (run !== -1 && (!clean || !raw.followsDirectly(i))) {
        s += this.cleanLines(raw, run, i - 1);
        run = -1;
      }
      if (i === n) break;
      if (clean) {
        if (run === -1) run = i;
        continue;
      }
      if (key2 === "content-length") continue;
      if (values !== void 0) {
        written ??= /* @__PURE__ */ new Set();
        if (written.has(key2)) continue;
        written.add(key2);
        const name = raw.name(i);
        for (const v of values) s += `${name}: ${v.toString()}\r
`;
        continue;
      }
      s += `${raw.name(i)}: ${raw.value(i)}\r
`;
    }
    return `${s}Content-Length: ${this.bodyLength}\r
\r
`;
  }
  /** Clean header lines from..to copied as one slice, or line by line when UTF-8 must be decoded. */
  cleanLines(raw, from, to) {
    const run = raw.cleanRun(from, to);
    if (raw.ascii || !hasHighBytes(run)) return `${run}\r
`;
    let s = "";
    for (let i = from; i <= to; i++) s += `${raw.name(i)}: ${raw.value(i)}\r
`;
    return s;
  }
  // ---------------------------------------------------------------- internals
  /** get() for a normalised key. */
  getKey(key2) {
    const live = this.live?.get(key2);
    if (live !== void 0) return live[0]?.toString();
    const v = this.rawFirst(key2);
    if (v === void 0) return void 0;
    return isListHeader(key2) ? firstListElement(v) : v;
  }
  liveOne(key2, parse2) {
    const have = this.live?.get(key2);
    if (have !== void 0 && have.length > 0) return have[0];
    const raw = this.rawFirst(key2);
    if (raw === void 0) throw new SipSyntaxError(`missing ${canonicalHeaderName(key2)}`);
    const v = parse2(raw);
    (this.live ??= /* @__PURE__ */ new Map()).set(key2, [v]);
    return v;
  }
  liveList(key2, parse2) {
    const have = this.live?.get(key2);
    if (have !== void 0) {
      for (let i = 0; i < have.length; i++) {
        const v = have[i];
        if (typeof v === "string") have[i] = parse2(v);
      }
      return have;
    }
    const values = this.listValues(key2);
    if (values.length === 0) return [];
    const out = values.map(parse2);
    (this.live ??= /* @__PURE__ */ new Map()).set(key2, out);
    return out;
  }
  /** All elements of a list header as text. */
  listValues(key2) {
    const out = [];
    const raw = this.raw;
    if (raw !== void 0) {
      for (let i = raw.indexOf(key2); i !== -1; i = raw.indexOf(key2, i + 1)) for (const v of splitList(raw.value(i))) out.push(v);
      return out;
    }
    for (const h of this.headers) if (h.key === key2) for (const v of splitList(h.value)) out.push(v);
    return out;
  }
  rawFirst(key2) {
    const raw = this.raw;
    if (raw !== void 0) {
      const i = raw.indexOf(key2);
      return i === -1 ? void 0 : raw.value(i);
    }
    for (const h of this.headers) if (h.key === key2) return h.value;
    return void 0;
  }
  /** Write live objects of a key back into header fields before editing the field list. */
  writeBack(key2) {
    const live = this.live?.get(key2);
    if (live === void 0) return;
    const headers = this.headers;
    const at = headers.findIndex((h) => h.key === key2);
    const name = at === -1 ? canonicalHeaderName(key2) : headers[at].name;
    const kept = headers.filter((h) => h.key !== key2);
    const fields = live.map((v) => ({ key: key2, name, value: v.toString() }));
    kept.splice(at === -1 ? kept.length : at, 0, ...fields);
    this.fields = kept;
    this.live.delete(key2);
  }
  forget(key2) {
    this.live?.delete(key2);
    this.cache?.delete(key2);
  }
  /** Memoise derived values (e.g. a parsed Request-URI) per message. */
  memo(key2, make) {
    const c = this.cache ??= /* @__PURE__ */ new Map();
    if (c.has(key2)) return c.get(key2);
    const v = make();
    c.set(key2, v);
    return v;
  }
  dropMemo(key2) {
    this.cache?.delete(key2);
  }
};
function parseSmallNumber(text3) {
  let i = 0;
  let end = text3.length;
  while (i < end && isWs(text3.charCodeAt(i))) i++;
  while (end > i && isWs(text3.charCodeAt(end - 1))) end--;
  if (i === end) return void 0;
  while (i < end - 1 && text3.charCodeAt(i) === 48) i++;
  if (end - i > 10) return void 0;
  let n = 0;
  for (let k = i; k < end; k++) {
    const c = text3.charCodeAt(k);
    if (c < 48 || c > 57) return void 0;
    n = n * 10 + (c - 48);
  }
  return n > 4294967295 ? void 0 : n;
}
function parseCSeq(v) {
  const n = v.length;
  let i = 0;
  while (i < n && isWs(v.charCodeAt(i))) i++;
  const ds = i;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  const de = i;
  while (i < n && isWs(v.charCodeAt(i))) i++;
  const ms = i;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
    i++;
  }
  const me2 = i;
  while (i < n && isWs(v.charCodeAt(i))) i++;
  if (de === ds || ms === de || me2 === ms || i !== n) throw new SipSyntaxError(`invalid CSeq "${v.slice(0, 40)}"`);
  const seq = parseSmallNumber(v.slice(ds, de));
  if (seq === void 0) throw new SipSyntaxError("CSeq number out of range");
  return new CSeq(seq, v.slice(ms, me2));
}
function isWs(c) {
  return c === 32 || c === 9;
}
var SipRequest = class extends SipMessage {
  constructor(method, uriText, version2 = "SIP/2.0") {
    super();
    this.method = method;
    this.uriText = uriText;
    this.version = version2;
  }
  method;
  uriText;
  version;
  isRequest() {
    return true;
  }
  /** Request-URI as written. */
  get uriString() {
    return this.uriText;
  }
  /** Parsed Request-URI (throws SipSyntaxError if malformed). */
  get uri() {
    return this.memo("@ruri", () => parseUri(this.uriText));
  }
  set uri(value) {
    this.uriText = value.toString();
    this.dropMemo("@ruri");
  }
  startLine() {
    return `${this.method} ${this.uriText} ${this.version}`;
  }
};
var SipResponse = class extends SipMessage {
  constructor(status, reason, version2 = "SIP/2.0") {
    super();
    this.status = status;
    this.reason = reason;
    this.version = version2;
  }
  status;
  reason;
  version;
  isRequest() {
    return false;
  }
  startLine() {
    return `${this.version} ${this.status} ${this.reason}`;
  }
};

// src/sip/message/response.ts
var REASON_PHRASES = {
  100: "Trying",
  180: "Ringing",
  181: "Call Is Being Forwarded",
  182: "Queued",
  183: "Session Progress",
  199: "Early Dialog Terminated",
  200: "OK",
  202: "Accepted",
  204: "No Notification",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Moved Temporarily",
  305: "Use Proxy",
  380: "Alternative Service",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  410: "Gone",
  413: "Request Entity Too Large",
  414: "Request-URI Too Long",
  415: "Unsupported Media Type",
  416: "Unsupported URI Scheme",
  420: "Bad Extension",
  421: "Extension Required",
  422: "Session Interval Too Small",
  423: "Interval Too Brief",
  480: "Temporarily Unavailable",
  481: "Call/Transaction Does Not Exist",
  482: "Loop Detected",
  483: "Too Many Hops",
  484: "Address Incomplete",
  485: "Ambiguous",
  486: "Busy Here",
  487: "Request Terminated",
  488: "Not Acceptable Here",
  489: "Bad Event",
  491: "Request Pending",
  493: "Undecipherable",
  500: "Server Internal Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Server Time-out",
  505: "Version Not Supported",
  513: "Message Too Large",
  580: "Precondition Failure",
  600: "Busy Everywhere",
  603: "Decline",
  604: "Does Not Exist Anywhere",
  606: "Not Acceptable"
};
function reasonPhrase(status) {
  return REASON_PHRASES[status] ?? (status < 200 ? "Progress" : status < 300 ? "OK" : "Error");
}
var COPIED = ["via", "from", "to", "call-id", "cseq"];
function createResponse(req, status, reason, toTag) {
  const res = new SipResponse(status, reason ?? reasonPhrase(status));
  for (const key2 of COPIED) {
    const values = req.getAll(key2);
    if (values.length > 0) res.set(key2, values);
  }
  const ts = req.get("timestamp");
  if (status === 100 && ts !== void 0) res.set("timestamp", ts);
  if (toTag !== void 0 && status !== 100 && res.has("to") && res.to.tag === void 0) res.to.tag = toTag;
  return res;
}

// src/b2bua/best-response.ts
function rank(status) {
  if (status >= 600) return 0;
  if (status === 486) return 1;
  if (status === 401 || status === 407) return 50;
  if (status >= 400 && status < 500) {
    if (status === 408 || status === 480) return 20;
    return 10;
  }
  if (status >= 500 && status < 600) return status === 503 ? 31 : 30;
  return 40;
}
function bestFinalStatus(statuses) {
  let best;
  for (const s of statuses) if (best === void 0 || rank(s) < rank(best)) best = s;
  return best;
}
function statusForCaller(status) {
  if (status === 401 || status === 407) return 403;
  if (status >= 300 && status < 400) return 480;
  return status;
}

// src/b2bua/sdp-placeholder.ts
var DISCARD_HOST = "127.0.0.1";
var DISCARD_PORT = 9;
function placeholderOffer(sessionId = "1") {
  return [
    "v=0",
    `o=- ${sessionId} 1 IN IP4 ${DISCARD_HOST}`,
    "s=-",
    `c=IN IP4 ${DISCARD_HOST}`,
    "t=0 0",
    `m=audio ${DISCARD_PORT} RTP/AVP 8 0 101`,
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=sendrecv",
    ""
  ].join("\r\n");
}
var MIRROR = { sendonly: "recvonly", recvonly: "sendonly", sendrecv: "sendrecv", inactive: "inactive" };
function placeholderAnswer(offer) {
  const out = [];
  for (const raw of offer.split(/\r?\n/)) {
    const line2 = raw.trimEnd();
    if (line2 === "") continue;
    if (line2.startsWith("c=")) out.push(`c=IN IP4 ${DISCARD_HOST}`);
    else if (line2.startsWith("o=")) {
      const f = line2.slice(2).split(" ");
      out.push(f.length === 6 ? `o=- ${f[1]} ${f[2]} IN IP4 ${DISCARD_HOST}` : line2);
    } else if (line2.startsWith("m=")) {
      const f = line2.slice(2).split(" ");
      if (f[1] !== "0") f[1] = String(DISCARD_PORT);
      out.push(`m=${f.join(" ")}`);
    } else if (/^a=(rtcp|candidate|ice-|fingerprint|setup|crypto)/.test(line2)) continue;
    else if (line2.startsWith("a=") && MIRROR[line2.slice(2)] !== void 0) out.push(`a=${MIRROR[line2.slice(2)]}`);
    else out.push(line2);
  }
  return out.join("\r\n") + "\r\n";
}

// src/sip/extensions/option-tags.ts
var DEFAULT_SUPPORTED = ["100rel", "timer", "replaces", "path"];
function hasOptionTag(msg, header, tag) {
  const t = tag.toLowerCase();
  return msg.optionTags(header).includes(t);
}
function unsupportedRequired(msg, supported) {
  const known = new Set(supported.map((s) => s.toLowerCase()));
  const out = [];
  for (const raw of msg.getAll("require")) {
    const tag = raw.trim();
    if (tag !== "" && !known.has(tag.toLowerCase()) && !out.includes(tag)) out.push(tag);
  }
  return out;
}
function addOptionTag(msg, header, tag) {
  if (hasOptionTag(msg, header, tag)) return;
  const have = msg.getAll(header);
  msg.set(header, [...have, tag].join(", "));
}

// src/sip/extensions/session-timer.ts
var TAG_TIMER = "timer";
var RFC4028_MIN_SE = 90;
function parseDelta(text3, what) {
  const t = text3.trim();
  if (!/^[0-9]{1,10}$/.test(t)) throw new SipSyntaxError(`invalid ${what} "${t.slice(0, 16)}"`);
  const n = Number(t);
  if (n > 4294967295) throw new SipSyntaxError(`${what} out of range`);
  return n;
}
function parseSessionExpires(value) {
  const semi = value.indexOf(";");
  const delta = parseDelta(semi === -1 ? value : value.slice(0, semi), "Session-Expires");
  const params = parseParams(semi === -1 ? "" : value.slice(semi));
  let refresher;
  const r = params.get("refresher");
  if (r !== void 0) {
    const v = (r ?? "").toLowerCase();
    if (v !== "uac" && v !== "uas") throw new SipSyntaxError(`invalid refresher "${v.slice(0, 16)}"`);
    refresher = v;
    params.delete("refresher");
  }
  return { delta, refresher, params };
}
function serializeSessionExpires(se) {
  let s = String(Math.floor(se.delta));
  if (se.refresher !== void 0) s += `;refresher=${se.refresher}`;
  if (se.params !== void 0) s += serializeParams(se.params);
  return s;
}
function parseMinSE(value) {
  const semi = value.indexOf(";");
  if (semi !== -1) parseParams(value.slice(semi));
  return parseDelta(semi === -1 ? value : value.slice(0, semi), "Min-SE");
}
function serializeMinSE(delta) {
  return String(Math.floor(delta));
}
function readSessionExpires(msg) {
  const v = msg.get("session-expires");
  return v === void 0 ? void 0 : parseSessionExpires(v);
}
function readMinSE(msg) {
  const v = msg.get("min-se");
  return v === void 0 ? void 0 : parseMinSE(v);
}
function negotiateUas(request, config) {
  let se;
  let minSE;
  try {
    se = readSessionExpires(request);
    minSE = readMinSE(request);
  } catch (e) {
    return { status: 400, reason: `Bad Request - ${e.message.slice(0, 60)}`, headers: {} };
  }
  const uacSupports = hasOptionTag(request, "supported", TAG_TIMER) || hasOptionTag(request, "require", TAG_TIMER);
  const floor = Math.max(RFC4028_MIN_SE, minSE ?? 0, config.minSE);
  let interval;
  let refresher;
  if (se !== void 0) {
    if (se.delta < config.minSE && uacSupports) {
      return { status: 422, headers: { "min-se": serializeMinSE(Math.max(config.minSE, minSE ?? 0)) } };
    }
    interval = Math.min(se.delta, Math.max(config.sessionExpires, floor));
    refresher = uacSupports ? se.refresher ?? config.uasRefresher ?? "uas" : "uas";
  } else {
    interval = Math.max(config.sessionExpires, floor);
    refresher = uacSupports ? config.uasRefresher ?? "uas" : "uas";
  }
  const headers = { "session-expires": serializeSessionExpires({ delta: interval, refresher }) };
  if (uacSupports) headers.require = TAG_TIMER;
  return { status: 200, session: { interval, refresher: refresher === "uas" ? "local" : "remote" }, headers };
}
function sessionTimerRequestHeaders(config, options = {}) {
  const interval = Math.max(options.interval ?? config.sessionExpires, config.minSE);
  const h = {
    "session-expires": serializeSessionExpires({ delta: interval, refresher: options.refresher }),
    "min-se": serializeMinSE(config.minSE)
  };
  if (options.supported === true) h.supported = TAG_TIMER;
  return h;
}
function intervalAfter422(response, previousInterval) {
  if (response.status !== 422) return void 0;
  let min;
  try {
    min = readMinSE(response);
  } catch {
    return void 0;
  }
  if (min === void 0) return void 0;
  return Math.max(min, previousInterval);
}
function negotiateUac(response) {
  let se;
  try {
    se = readSessionExpires(response);
  } catch {
    return void 0;
  }
  if (se === void 0 || se.delta === 0) return void 0;
  const refresher = se.refresher ?? "uac";
  return { interval: se.delta, refresher: refresher === "uac" ? "local" : "remote" };
}
function expiryGuardSeconds(interval) {
  return interval - Math.min(32, interval / 3);
}
var SessionTimer = class {
  constructor(dialog, host, session, config, handlers) {
    this.dialog = dialog;
    this.host = host;
    this.config = config;
    this.handlers = handlers;
    this.session = { ...session };
    this.minSE = config.minSE;
    dialog.sessionTimer = this;
    this.restart(session);
  }
  dialog;
  host;
  config;
  handlers;
  session;
  refreshTimer;
  expiryTimer;
  retryTimer;
  /** Min-SE we put in refresh requests; raised by a 422 (§7.1). */
  minSE;
  noUpdate = false;
  inFlight = false;
  stopped = false;
  /** When the current interval started (ms since epoch). */
  lastRefreshAt = 0;
  /** Refreshes we sent that got a 2xx. */
  refreshesSent = 0;
  get interval() {
    return this.session.interval;
  }
  get refresher() {
    return this.session.refresher;
  }
  /** Whether the timers run (false after stop(), or after a 2xx without Session-Expires). */
  get running() {
    return this.expiryTimer !== void 0;
  }
  /** Start a new interval (after a successful refresh). */
  restart(session) {
    if (this.stopped) return;
    this.clearTimers();
    this.session = { ...session };
    this.lastRefreshAt = Date.now();
    const ms = session.interval * 1e3;
    if (session.refresher === "local") this.refreshTimer = setTimeout(() => void this.refreshNow(), ms / 2);
    this.expiryTimer = setTimeout(() => this.expire(), expiryGuardSeconds(session.interval) * 1e3);
  }
  stop() {
    this.stopped = true;
    this.clearTimers();
    if (this.dialog.sessionTimer === this) this.dialog.sessionTimer = void 0;
  }
  /**
   * Send a refresh now (normally called by the refresh timer): UPDATE without a
   * body when the peer allows UPDATE, else re-INVITE with `localSdp()`. Resolves
   * once the refresh has an outcome.
   */
  async refreshNow() {
    this.refreshTimer = void 0;
    if (this.stopped || this.inFlight || this.dialog.state !== "confirmed") return;
    this.inFlight = true;
    try {
      const sdp = this.handlers.localSdp?.();
      const useUpdate = sdp === void 0 || !this.noUpdate && this.dialog.allows("UPDATE") === true;
      let res = useUpdate ? await this.host.dialogRequest(this.dialog, "UPDATE") : await this.reinvite(sdp);
      if (res === void 0) return this.retryLater();
      if (res.status === 422) res = useUpdate ? await this.host.dialogRequest(this.dialog, "UPDATE") : await this.reinvite(sdp);
      if (res === void 0) return this.retryLater();
      if (useUpdate && (res.status === 405 || res.status === 501) && sdp !== void 0) {
        this.noUpdate = true;
        res = await this.reinvite(sdp);
        if (res === void 0) return this.retryLater();
      }
      if (res.status >= 200 && res.status < 300) {
        this.refreshesSent++;
        return;
      }
      if (res.status === 491) return this.retryLater();
      this.handlers.onRefreshFailed?.(res);
    } finally {
      this.inFlight = false;
    }
  }
  // ------------------------------------------------------ DialogSessionTimer
  decorateRefresh(request) {
    if (this.stopped) return;
    if (!request.has("session-expires")) {
      const refresher = this.session.refresher === "local" ? "uac" : "uas";
      request.set("session-expires", serializeSessionExpires({ delta: Math.max(this.session.interval, this.minSE), refresher }));
      request.set("min-se", serializeMinSE(this.minSE));
    }
    addOptionTag(request, "supported", TAG_TIMER);
  }
  refreshAnswered(response) {
    if (this.stopped) return;
    if (response.status === 422) {
      const next = intervalAfter422(response, this.session.interval);
      if (next !== void 0) {
        this.minSE = Math.max(this.minSE, next);
        this.session = { ...this.session, interval: next };
      }
      return;
    }
    if (response.status < 200 || response.status >= 300) return;
    let s = negotiateUac(response);
    if (s === void 0) {
      if (this.peerSupportsTimer(response)) {
        this.clearTimers();
        return;
      }
      s = { interval: this.session.interval, refresher: "local" };
    }
    this.restart(s);
    this.handlers.onRefreshed?.(s);
  }
  incomingRefresh(request, tx) {
    if (this.stopped || request.method !== "INVITE" && request.method !== "UPDATE") return tx;
    const neg = negotiateUas(request, { ...this.config, minSE: this.minSE, uasRefresher: this.session.refresher === "local" ? "uas" : "uac" });
    if (neg.status !== 200) {
      const res = createResponse(request, neg.status, neg.status === 400 ? neg.reason : void 0);
      for (const [k, v] of Object.entries(neg.headers)) res.set(k, v);
      tx.respond(res);
      return void 0;
    }
    return new RefreshServerTransaction(tx, (res) => {
      if (res.status < 200 || res.status >= 300 || this.stopped) return;
      if (!res.has("session-expires")) {
        for (const [k, v] of Object.entries(neg.headers)) {
          if (k === "require") addOptionTag(res, "require", v);
          else res.set(k, v);
        }
      }
      let se;
      try {
        se = readSessionExpires(res);
      } catch {
        se = void 0;
      }
      if (se === void 0) {
        this.clearTimers();
        return;
      }
      const s = { interval: se.delta, refresher: (se.refresher ?? "uas") === "uas" ? "local" : "remote" };
      this.restart(s);
      this.handlers.onRefreshed?.(s);
    });
  }
  // ---------------------------------------------------------------- internals
  peerSupportsTimer(response) {
    return hasOptionTag(response, "supported", TAG_TIMER) || hasOptionTag(response, "require", TAG_TIMER) || (this.dialog.remoteSupported?.includes(TAG_TIMER) ?? false);
  }
  reinvite(sdp) {
    return new Promise((resolve2) => {
      const out = this.host.reinvite(this.dialog, sdp === void 0 ? {} : { body: sdp, contentType: "application/sdp" }, {
        onAnswer: (res) => resolve2(res),
        onFailure: (res) => resolve2(res)
      });
      if (out === void 0) resolve2(void 0);
    });
  }
  /** A re-INVITE was pending (ours or a 491): try again shortly, while the session lasts. */
  retryLater() {
    if (this.stopped || this.retryTimer !== void 0) return;
    const delay = this.config.glareRetryMs ?? 2e3;
    const left = this.lastRefreshAt + expiryGuardSeconds(this.session.interval) * 1e3 - Date.now();
    if (delay >= left) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = void 0;
      void this.refreshNow();
    }, delay);
  }
  expire() {
    this.expiryTimer = void 0;
    if (this.stopped) return;
    this.clearTimers();
    this.stopped = true;
    this.handlers.onExpired();
  }
  clearTimers() {
    if (this.refreshTimer !== void 0) clearTimeout(this.refreshTimer);
    if (this.expiryTimer !== void 0) clearTimeout(this.expiryTimer);
    if (this.retryTimer !== void 0) clearTimeout(this.retryTimer);
    this.refreshTimer = void 0;
    this.expiryTimer = void 0;
    this.retryTimer = void 0;
  }
};
var RefreshServerTransaction = class {
  constructor(inner, before2xx) {
    this.inner = inner;
    this.before2xx = before2xx;
  }
  inner;
  before2xx;
  done = false;
  get id() {
    return this.inner.id;
  }
  get request() {
    return this.inner.request;
  }
  get flow() {
    return this.inner.flow;
  }
  get state() {
    return this.inner.state;
  }
  get cancelled() {
    return this.inner.cancelled;
  }
  get lastResponse() {
    return this.inner.lastResponse;
  }
  respond(response) {
    if (response.status >= 200 && response.status < 300 && !this.done) {
      this.done = true;
      this.before2xx(response);
    }
    this.inner.respond(response);
  }
};

// src/b2bua/leg-session-timer.ts
function negotiateCallerTimer(request, config) {
  const n = negotiateUas(request, config);
  if (n.status !== 200) return { reject: { status: n.status, ...n.reason !== void 0 ? { reason: n.reason } : {}, headers: n.headers } };
  return { headers: n.headers, session: n.session };
}
function calleeTimerHeaders(config) {
  return sessionTimerRequestHeaders(config, { refresher: "uac" });
}
function calleeSession(response, config) {
  return negotiateUac(response) ?? { interval: config.sessionExpires, refresher: "local" };
}
function startLegTimer(ua, dialog, session, config, onExpired, localSdp) {
  ua.startSessionTimer(dialog, session, config, { onExpired, localSdp });
}
function originLine(sdp) {
  return /^o=.*$/m.exec(sdp)?.[0]?.trim();
}
function isSessionRefresh(req, lastRemoteSdp) {
  if (req.method !== "INVITE" && req.method !== "UPDATE") return false;
  if (req.body.length === 0) return true;
  if (lastRemoteSdp === void 0) return false;
  const o = originLine(req.bodyText);
  return o !== void 0 && o === originLine(lastRemoteSdp);
}

// src/sip/message/ids.ts
import { randomBytes as randomBytes4 } from "node:crypto";
var POOL_SIZE = 8192;
var pool = randomBytes4(POOL_SIZE);
var offset = 0;
function randomHex(bytes) {
  if (bytes > POOL_SIZE) return randomBytes4(bytes).toString("hex");
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes4(POOL_SIZE);
    offset = 0;
  }
  const s = pool.toString("hex", offset, offset + bytes);
  offset += bytes;
  return s;
}
function newBranch() {
  return MAGIC_COOKIE + randomHex(10);
}
function newTag() {
  return randomHex(6);
}
function newCallId(host) {
  return host === void 0 ? randomHex(16) : `${randomHex(12)}@${host}`;
}

// src/sip/extensions/prack.ts
var TAG_100REL = "100rel";
var MAX_RSEQ = 4294967295;
function parseCounter(text3, what) {
  const t = text3.trim();
  if (!/^[0-9]{1,10}$/.test(t)) throw new SipSyntaxError(`invalid ${what} "${t.slice(0, 16)}"`);
  const n = Number(t);
  if (n < 1 || n > MAX_RSEQ) throw new SipSyntaxError(`${what} out of range: ${t}`);
  return n;
}
function parseRSeq(value) {
  return parseCounter(value, "RSeq");
}
function parseRAck(value) {
  const parts2 = value.trim().split(/[ \t]+/);
  if (parts2.length !== 3) throw new SipSyntaxError(`invalid RAck "${value.slice(0, 40)}"`);
  const method = parts2[2];
  if (!isToken(method)) throw new SipSyntaxError(`invalid RAck method "${method.slice(0, 16)}"`);
  return { rseq: parseCounter(parts2[0], "RAck response-num"), cseq: parseCounter(parts2[1], "RAck CSeq-num"), method };
}
function serializeRAck(rack) {
  return `${rack.rseq} ${rack.cseq} ${rack.method}`;
}
function initialRSeq() {
  const n = parseInt(randomHex(4), 16) & 2147483647;
  return n === 0 ? 1 : n;
}
function reliabilityOf(request) {
  if (hasOptionTag(request, "require", TAG_100REL)) return "required";
  if (hasOptionTag(request, "supported", TAG_100REL)) return "supported";
  return void 0;
}
function reliableRSeq(response) {
  if (response.status <= 100 || response.status >= 200) return void 0;
  if (!hasOptionTag(response, "require", TAG_100REL)) return void 0;
  const v = response.get("rseq");
  if (v === void 0) return void 0;
  try {
    return parseRSeq(v);
  } catch {
    return void 0;
  }
}

// src/b2bua/early-prack.ts
var pending = /* @__PURE__ */ new WeakMap();
function relayReliableProvisional(a, b, res, status, body, log) {
  const options = body === void 0 ? {} : { body, contentType: "application/sdp" };
  const dialog = res.to.tag === void 0 ? void 0 : b?.earlyDialogs.get(res.to.tag);
  if (b === void 0 || dialog === void 0 || reliableRSeq(res) === void 0) {
    a.progress(status, options);
    return;
  }
  const prackCallee = () => b.prack(dialog, res).catch((e) => log.warn({ err: e.message }, "PRACK to the callee failed"));
  if (a.reliableProvisionals === void 0 || a.finalStatus !== void 0) {
    a.progress(status, options);
    void prackCallee();
    return;
  }
  let queue = pending.get(a);
  if (queue === void 0) {
    queue = [];
    pending.set(a, queue);
    a.onPrack = async () => {
      const next = pending.get(a)?.shift();
      if (next !== void 0) await next();
    };
  }
  queue.push(prackCallee);
  a.progress(status, { ...options, reliable: true });
}

// src/b2bua/call.ts
var callObservers = /* @__PURE__ */ new WeakMap();
function observeCall(inv, observer) {
  const list2 = callObservers.get(inv);
  if (list2 === void 0) callObservers.set(inv, [observer]);
  else list2.push(observer);
}
var FAILOVER = /* @__PURE__ */ new Set([408, 500, 502, 503, 504]);
var B2BCall = class {
  constructor(a, opts) {
    this.a = a;
    this.opts = opts;
    this.id = a.request.callId;
    this.aOfferless = a.request.body.length === 0;
    this.onCallerLost = opts.onCallerLost;
    this.callerTag = a.request.from.tag ?? "";
    a.onCancel = () => this.onCallerCancel();
    a.onAckTimeout = () => this.hangup("server", "no ACK for 2xx");
  }
  a;
  opts;
  id;
  state = "routing";
  startedAt = Date.now();
  connectedAt;
  aDialog;
  bDialog;
  branches = [];
  groups = [];
  statuses = [];
  aOfferless;
  ended = false;
  /**
   * Consulted when the caller side BYEs a connected call: true keeps the B-leg up (e.g.
   * session resumption holds the far end on MoH, spec SR-02) and the call waits with
   * `callerLost` set until attachCaller() or hangup(). Settable after construction.
   */
  onCallerLost;
  /** The caller's leg is gone while the B-leg is kept (see onCallerLost). */
  callerLost = false;
  /** hangup() runs: the BYEs we send ourselves never count as the caller leaving. */
  releasing = false;
  /** The B-leg's latest SDP (answer or offer): re-pointing media to a new caller needs it. */
  bSdp;
  /** Media tag of the caller side: the A-leg From tag, then an attached caller's. */
  callerTag = "";
  /** Last SDP each side sent us / we sent it: refreshes are answered locally with `sent`. */
  legSdp = { a: { got: void 0, sent: void 0 }, b: { got: void 0, sent: void 0 } };
  /** 2xx headers of the caller's session timer (negotiated in start()). */
  aTimer;
  /** re-INVITEs being relayed: a BYE meanwhile answers them 487 so none outlives the call (drachtio-server#145). */
  relaying = /* @__PURE__ */ new Set();
  get log() {
    return this.opts.log;
  }
  /** Route the call: each group is a set of parallel forks; the next group is tried on failover statuses. */
  async start(groups) {
    for (const o of this.observers()) o.onStart?.(this);
    if (this.opts.sessionTimer !== void 0) {
      this.aTimer = negotiateCallerTimer(this.a.request, this.opts.sessionTimer);
      if ("reject" in this.aTimer) {
        const r = this.aTimer.reject;
        this.a.reject(r.status, { headers: r.headers, ...r.reason !== void 0 ? { reason: r.reason } : {} });
        return void this.finish({ result: "failed", status: r.status, by: "server" });
      }
    }
    if (!this.aOfferless) this.legSdp.a.got = this.a.request.bodyText;
    this.groups = groups.filter((g) => g.length > 0);
    if (this.groups.length === 0) return this.fail(404);
    if (this.opts.media !== void 0 && !this.aOfferless) {
      try {
        this.bOffer = await this.opts.media.offerFromCaller(this.a.request);
      } catch (e) {
        this.log.error({ err: e.message }, "media offer failed");
        return this.fail(503, "Service Unavailable - media anchor unavailable", "media-failed");
      }
      if (this.ended) return;
    } else this.bOffer = this.aOfferless ? void 0 : this.a.request.bodyText;
    this.routed = true;
    this.nextGroup();
  }
  bOffer;
  /** The first group was launched (the B-leg offer is ready). */
  routed = false;
  exhaustedAsked = false;
  observers() {
    return callObservers.get(this.a) ?? [];
  }
  nextGroup() {
    const group = this.groups.shift();
    if (group === void 0) {
      const best = bestFinalStatus(this.statuses) ?? 480;
      const instead = this.exhausted(best);
      if (instead !== void 0) {
        this.statuses = [];
        this.groups = instead;
        this.nextGroup();
        return;
      }
      this.fail(statusForCaller(best));
      return;
    }
    this.branches = group.map((target) => ({ target, invite: void 0, timer: void 0, status: void 0 }));
    for (const b of this.branches) {
      if (b.target.delayMs !== void 0 && b.target.delayMs > 0) {
        b.timer = setTimeout(() => this.launch(b), b.target.delayMs);
      } else this.launch(b);
    }
  }
  launch(branch) {
    branch.timer = void 0;
    if (this.ended || this.state === "connected") return;
    const t = branch.target;
    const ua = this.opts.ua;
    const st = this.opts.sessionTimer === void 0 ? {} : calleeTimerHeaders(this.opts.sessionTimer);
    const headers = { ...st, ...t.headers ?? {} };
    headers.supported = [...new Set(["replaces", "timer", "100rel", ...[headers.supported ?? []].flat().flatMap((v) => v.split(",").map((x) => x.trim()))].filter((x) => x !== ""))].join(", ");
    const req = ua.createRequest({
      method: "INVITE",
      uri: t.uri,
      from: t.from,
      to: t.to,
      options: this.bOffer === void 0 ? { headers } : { headers, body: this.bOffer, contentType: "application/sdp" }
    });
    branch.sentAt = Date.now();
    branch.invite = ua.invite(req, t.destination, {
      onProvisional: (res, dialog) => this.onBranchProvisional(branch, res, dialog),
      onAnswer: (res, dialog) => this.onBranchAnswer(branch, res, dialog),
      onFailure: (res) => this.onBranchFailure(branch, res),
      // PRACKed by relayProvisional (end to end, or locally) when it relays; else by the UA core.
      onReliableProvisional: () => !this.ended && this.a.finalStatus === void 0
    });
    if (this.aOfferless) branch.invite.autoAck = false;
    t.onEvent?.({ kind: "launched" });
    if (t.ringTimeoutMs !== void 0 && t.ringTimeoutMs > 0) {
      branch.timer = setTimeout(() => {
        branch.timer = void 0;
        if (branch.status === void 0) {
          branch.noAnswer = true;
          t.onEvent?.({ kind: "ring-timeout" });
          branch.invite?.cancel();
        }
      }, t.ringTimeoutMs);
    }
  }
  // ------------------------------------------------------------ B-leg events
  onBranchProvisional(branch, res, _dialog) {
    if (this.ended || this.a.finalStatus !== void 0) return;
    this.state = "early";
    void this.relayProvisional(branch, res).catch((e) => this.log.warn({ err: e.message }, "relaying provisional failed"));
  }
  async relayProvisional(branch, res) {
    const noEarlyMedia = branch.target.noEarlyMedia === true;
    const status = res.status === 181 || res.status === 182 || noEarlyMedia ? 180 : res.status;
    let body;
    if (res.body.length > 0 && res.contentType?.startsWith("application/sdp") === true && !this.aOfferless && !noEarlyMedia) {
      body = this.opts.media !== void 0 ? await this.opts.media.answerFromCallee(this.a.request, res) : res.bodyText;
    }
    if (this.ended || this.a.finalStatus !== void 0) return;
    relayReliableProvisional(this.a, branch.invite, res, status, body, this.log);
  }
  onBranchAnswer(branch, res, dialog) {
    const cancelledByUs = branch.status !== void 0;
    branch.status = res.status;
    this.clearBranchTimer(branch);
    if (this.ended || this.bDialog !== void 0 || cancelledByUs) {
      this.dropAnswered(branch, dialog);
      return;
    }
    const t = branch.target;
    const afterMs = Date.now() - (branch.sentAt ?? 0);
    if (t.answerTooSoonMs !== void 0 && t.answerTooSoonMs > 0 && afterMs < t.answerTooSoonMs) {
      this.log.info({ label: t.label, uri: t.uri, afterMs }, "answer too soon: branch dropped");
      t.onEvent?.({ kind: "answer-too-soon", afterMs });
      this.dropAnswered(branch, dialog);
      branch.status = 480;
      this.branchFailed(branch, 480);
      return;
    }
    if (t.confirm !== void 0 && !this.aOfferless) {
      this.startConfirm(branch, res, dialog);
      return;
    }
    this.win(branch, res, dialog);
  }
  /** ACK, then BYE, a 2xx we do not want (in that order: SNR-04). */
  dropAnswered(branch, dialog) {
    if (dialog.lastAck === void 0) branch.invite?.ack(dialog);
    void this.opts.ua.bye(dialog);
  }
  /** `branch` answered and is accepted: it becomes the B-leg, every other branch is released. */
  win(branch, res, dialog) {
    this.bDialog = dialog;
    this.bindDialog(dialog, "b");
    this.legSdp.b.sent = this.bOffer;
    if (res.body.length > 0) this.legSdp.b.got = res.bodyText;
    const stc = this.opts.sessionTimer;
    if (stc !== void 0) {
      startLegTimer(this.opts.ua, dialog, calleeSession(res, stc), stc, () => this.hangup("server", "session expired (B-leg)"), () => this.legSdp.b.sent);
    }
    branch.target.onEvent?.({ kind: "won" });
    for (const other of this.branches) {
      if (other !== branch) this.abandonConfirm(other);
      if (other !== branch && other.status === void 0) {
        this.clearBranchTimer(other);
        other.status = 487;
        other.invite?.cancel('SIP;cause=200;text="Call completed elsewhere"');
      }
    }
    void this.connect(branch, res).catch((e) => {
      this.log.error({ err: e.message }, "connecting the caller failed");
      this.hangup("server", "connect failed");
    });
  }
  async connect(branch, res) {
    let body;
    const sdp = res.body.length > 0 ? res.bodyText : void 0;
    if (sdp !== void 0) this.bSdp = sdp;
    if (sdp !== void 0) {
      if (this.opts.media === void 0) body = sdp;
      else if (this.aOfferless) body = await this.opts.media.offerFromCallee(this.a.request, res);
      else body = await this.opts.media.answerFromCallee(this.a.request, res);
    }
    if (this.ended) return;
    if (this.a.finalStatus !== void 0) {
      this.hangup("server", "caller gone before answer");
      return;
    }
    const th = this.aTimer !== void 0 && !("reject" in this.aTimer) ? this.aTimer : void 0;
    const headers = th?.headers ?? {};
    this.aDialog = this.a.accept(body === void 0 ? { headers } : { headers, body, contentType: "application/sdp" });
    this.legSdp.a.sent = body;
    if (th?.session !== void 0 && this.opts.sessionTimer !== void 0) {
      startLegTimer(this.opts.ua, this.aDialog, th.session, this.opts.sessionTimer, () => this.hangup("server", "session expired (A-leg)"), () => this.legSdp.a.sent);
    }
    this.bindDialog(this.aDialog, "a");
    this.state = "connected";
    this.connectedAt = Date.now();
    if (this.aOfferless) {
      this.a.onAck = (ack) => void this.ackLateOffer(branch, ack);
    }
    this.opts.onConnected?.(this);
    for (const o of this.observers()) o.onConnected?.(this);
  }
  /** Late offer: the caller's ACK carries the answer, which the callee gets in its ACK. */
  async ackLateOffer(branch, ack) {
    if (this.bDialog === void 0 || branch.invite === void 0) return;
    let body;
    if (ack.body.length > 0) {
      body = this.opts.media !== void 0 ? await this.opts.media.answerFromCaller(this.a.request, this.bDialog, ack) : ack.bodyText;
    }
    branch.invite.ack(this.bDialog, body === void 0 ? {} : { body, contentType: "application/sdp" });
  }
  onBranchFailure(branch, res) {
    this.clearBranchTimer(branch);
    this.branchFailed(branch, branch.noAnswer === true ? 480 : res.status);
  }
  /** A branch ended without being accepted: try the next group or fail the caller once none is left. */
  branchFailed(branch, status) {
    if (branch.status === void 0) branch.status = status;
    if (status !== 487 || branch.noAnswer === true) this.statuses.push(status);
    this.log.debug({ status, label: branch.target.label, uri: branch.target.uri }, "branch failed");
    branch.target.onEvent?.({ kind: "failed", status });
    if (this.ended || this.bDialog !== void 0 || !this.branches.includes(branch)) return;
    if (this.branches.some((b) => b.status === void 0)) return;
    if (this.a.cancelled) return;
    const retry = this.statuses.length > 0 && this.statuses.every((s) => FAILOVER.has(s));
    if (retry && this.groups.length > 0) {
      this.log.info({ statuses: this.statuses }, "failover to the next route");
      this.nextGroup();
      return;
    }
    this.groups = [];
    this.nextGroup();
  }
  // ------------------------------------------------------- branch confirmation
  /** VMA-03: the branch answered; ACK it, keep the caller ringing, and let target.confirm decide. */
  startConfirm(branch, res, dialog) {
    const abort = new AbortController();
    branch.status = void 0;
    branch.confirming = { abort, dialog };
    if (dialog.lastAck === void 0) branch.invite?.ack(dialog);
    const c = { callId: this.id, mediaTag: res.to.tag ?? "", dialog, response: res, signal: abort.signal };
    dialog.owner = this;
    dialog.onRequest = (req, tx) => {
      if (req.method === "INFO" || req.method === "OPTIONS") {
        tx.respond(createResponse(req, 200));
        if (req.method === "INFO") c.onInfo?.(req);
      } else if (req.method === "INVITE") {
        dialog.reinvite?.reject(491);
        dialog.reinvite = void 0;
      } else tx.respond(createResponse(req, 501));
    };
    dialog.onTerminated = () => {
      if (branch.confirming === void 0) return;
      branch.confirming = void 0;
      abort.abort();
      branch.target.onEvent?.({ kind: "confirm-failed", why: "hangup" });
      this.branchFailed(branch, 480);
    };
    branch.target.onEvent?.({ kind: "confirming" });
    const run = async () => {
      if (this.opts.media !== void 0 && res.body.length > 0) await this.opts.media.answerFromCallee(this.a.request, res);
      if (branch.confirming === void 0) return false;
      return branch.target.confirm(c);
    };
    run().then(
      (ok) => this.confirmDone(branch, res, dialog, ok === true ? "accepted" : "rejected"),
      (e) => {
        this.log.warn({ err: e.message, label: branch.target.label }, "branch confirmation failed");
        this.confirmDone(branch, res, dialog, "error");
      }
    );
  }
  confirmDone(branch, res, dialog, outcome) {
    if (branch.confirming === void 0) return;
    branch.confirming = void 0;
    if (outcome === "accepted" && !this.ended && this.bDialog === void 0 && this.a.finalStatus === void 0) {
      branch.status = res.status;
      this.win(branch, res, dialog);
      return;
    }
    branch.target.onEvent?.({ kind: "confirm-failed", why: outcome === "error" ? "error" : "rejected" });
    void this.opts.ua.bye(dialog);
    this.branchFailed(branch, 480);
  }
  /** A branch still being confirmed is not wanted any more: it has answered, so it gets a BYE. */
  abandonConfirm(b) {
    const c = b.confirming;
    if (c === void 0) return;
    b.confirming = void 0;
    b.status = 487;
    c.abort.abort();
    void this.opts.ua.bye(c.dialog);
  }
  /**
   * Route the still-unanswered call elsewhere (call forwarding, spec SNR-06): current forks
   * are cancelled (branches being confirmed get a BYE), remaining groups are dropped and
   * `groups` are tried as for start(). With no groups the caller gets `status` (after
   * CallObserver.onExhausted). False when the call is answered, answering or over.
   */
  divert(groups, status = 480) {
    if (this.ended || this.bDialog !== void 0 || this.a.finalStatus !== void 0) return false;
    const next = groups.filter((g) => g.length > 0);
    if (!this.routed) {
      this.groups = next;
      this.statuses = next.length === 0 ? [status] : [];
      return true;
    }
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
      if (b.status === void 0) {
        b.status = 487;
        b.invite?.cancel();
      }
    }
    this.branches = [];
    this.statuses = next.length === 0 ? [status] : [];
    this.groups = next;
    this.nextGroup();
    return true;
  }
  exhausted(status) {
    if (this.exhaustedAsked) return void 0;
    this.exhaustedAsked = true;
    for (const o of this.observers()) {
      const g = o.onExhausted?.(this, status)?.filter((x) => x.length > 0);
      if (g !== void 0 && g.length > 0) return g;
    }
    return void 0;
  }
  // ------------------------------------------------------------ A-leg events
  onCallerCancel() {
    if (this.ended) return;
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
      if (b.status === void 0) {
        b.status = 487;
        b.invite?.cancel();
      }
    }
    this.a.reject(487);
    void this.finish({ result: "cancelled", status: 487, by: "a" });
  }
  // --------------------------------------------------------- in-dialog relay
  bindDialog(dialog, side) {
    dialog.owner = this;
    dialog.onRequest = (req, tx) => this.onInDialogRequest(side, req, tx);
    dialog.onTerminated = () => {
      if (this.ended) return;
      if (side === "a" && this.keepAfterCallerLeft(dialog)) return;
      this.hangup(side, "BYE");
    };
  }
  other(side) {
    return side === "a" ? this.bDialog : this.aDialog;
  }
  onInDialogRequest(side, req, tx) {
    const peer = this.other(side);
    if (peer === void 0 && side === "b" && this.callerLost && !this.ended) {
      this.answerWhileCallerLost(req, tx);
      return;
    }
    if (peer === void 0 || this.ended) {
      tx.respond(createResponse(req, 481));
      return;
    }
    if (isSessionRefresh(req, this.legSdp[side].got)) {
      this.answerRefresh(side, req, tx);
      return;
    }
    switch (req.method) {
      case "INVITE":
        void this.relayReinvite(side, req, peer).catch((e) => this.log.warn({ err: e.message }, "re-INVITE relay failed"));
        return;
      case "UPDATE":
      case "INFO":
        void this.relayRequest(side, req, tx, peer).catch((e) => this.log.warn({ err: e.message }, `${req.method} relay failed`));
        return;
      case "OPTIONS":
        tx.respond(createResponse(req, 200));
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }
  /** re-INVITE (hold/resume, media change) from one side: re-offer through the anchor, relay, answer back. */
  async relayReinvite(side, req, peer) {
    const mine = side === "a" ? this.aDialog : this.bDialog;
    const incoming = mine.reinvite;
    mine.reinvite = void 0;
    if (incoming === void 0) return;
    this.relaying.add(incoming);
    if (side === "b" && req.body.length > 0) this.bSdp = req.bodyText;
    let offer;
    if (req.body.length > 0) {
      offer = this.opts.media !== void 0 ? await this.opts.media.reoffer(this.a.request, mine, peer, req.bodyText) : req.bodyText;
    }
    const out = this.opts.ua.reinvite(peer, offer === void 0 ? {} : { body: offer, contentType: "application/sdp" }, {
      onAnswer: (res) => {
        void (async () => {
          let answer;
          if (side === "a" && res.body.length > 0) this.bSdp = res.bodyText;
          if (res.body.length > 0) {
            answer = this.opts.media === void 0 ? res.bodyText : offer === void 0 ? await this.opts.media.reoffer(this.a.request, peer, mine, res.bodyText) : await this.opts.media.reanswer(this.a.request, mine, peer, res.bodyText);
          }
          const peerSide = side === "a" ? "b" : "a";
          if (req.body.length > 0) this.legSdp[side].got = req.bodyText;
          if (offer !== void 0) this.legSdp[peerSide].sent = offer;
          if (res.body.length > 0) this.legSdp[peerSide].got = res.bodyText;
          if (answer !== void 0) this.legSdp[side].sent = answer;
          this.relaying.delete(incoming);
          if (this.ended) return;
          incoming.accept(answer === void 0 ? {} : { body: answer, contentType: "application/sdp" });
        })().catch((e) => {
          this.log.warn({ err: e.message }, "re-INVITE answer failed");
          incoming.reject(500);
        });
      },
      onFailure: (res) => {
        this.relaying.delete(incoming);
        incoming.reject(res.status === 491 ? 491 : res.status >= 500 ? 500 : res.status);
      }
    });
    if (out === void 0) incoming.reject(491);
  }
  /**
   * A session refresh (RFC 4028) or SDP no-op on one leg: answered on that leg with the
   * SDP we last sent it; the other leg never sees it (its own timer refreshes it).
   */
  answerRefresh(side, req, tx) {
    if (req.method === "UPDATE") {
      const res = createResponse(req, 200);
      const sent2 = this.legSdp[side].sent;
      if (req.body.length > 0 && sent2 !== void 0) res.setBody(sent2, "application/sdp");
      tx.respond(res);
      return;
    }
    const mine = side === "a" ? this.aDialog : this.bDialog;
    const incoming = mine?.reinvite;
    if (mine === void 0 || incoming === void 0) return;
    mine.reinvite = void 0;
    const sdp = this.legSdp[side].sent;
    incoming.accept(sdp === void 0 ? {} : { body: sdp, contentType: "application/sdp" });
  }
  async relayRequest(side, req, tx, peer) {
    const mine = side === "a" ? this.aDialog : this.bDialog;
    let body = req.body.length > 0 ? req.body : void 0;
    const isSdp = req.contentType?.startsWith("application/sdp") === true;
    if (body !== void 0 && isSdp && this.opts.media !== void 0) {
      body = await this.opts.media.reoffer(this.a.request, mine, peer, req.bodyText);
    }
    const options = body === void 0 ? {} : { body, contentType: req.contentType ?? "application/octet-stream" };
    const res = await this.opts.ua.dialogRequest(peer, req.method, options);
    const out = createResponse(req, res.status, res.reason);
    if (res.body.length > 0) {
      let rbody = res.body;
      if (res.contentType?.startsWith("application/sdp") === true && this.opts.media !== void 0) {
        rbody = await this.opts.media.reanswer(this.a.request, mine, peer, res.bodyText);
      }
      out.setBody(rbody, res.contentType ?? "application/octet-stream");
    }
    tx.respond(out);
  }
  // ------------------------------------------------ caller lost / reattached
  /** The caller BYEd: ask onCallerLost whether the B-leg stays (true: the call now waits for a new caller). */
  keepAfterCallerLeft(dialog) {
    if (this.releasing || this.state !== "connected" || dialog !== this.aDialog || this.bDialog === void 0) return false;
    let keep = false;
    try {
      keep = this.onCallerLost?.(this) === true;
    } catch (e) {
      this.log.warn({ err: e.message }, "onCallerLost failed");
    }
    if (!keep) return false;
    this.aDialog = void 0;
    this.callerLost = true;
    this.log.info({}, "caller leg lost: callee kept");
    return true;
  }
  /**
   * A new inbound INVITE becomes the caller side of this call, whose caller leg was lost
   * (spec SR-04). The B-leg gets no new INVITE: with an anchor the media is re-pointed
   * (the anchor keeps its ports towards the B-leg); without one the B-leg gets a re-INVITE
   * with the new caller's offer. `inv` is answered here. Resolves false (inv untouched)
   * when the call cannot take it: not waiting for a caller, over, or no SDP offer.
   */
  async attachCaller(inv) {
    const b = this.bDialog;
    if (!this.callerLost || this.ended || b === void 0 || inv.finalStatus !== void 0 || inv.request.body.length === 0) return false;
    const tag = inv.request.from.tag ?? "";
    const offer = inv.request.bodyText;
    const media = this.opts.media;
    let answer;
    if (media !== void 0) {
      if (this.bSdp === void 0) return false;
      await media.offerBetween(this.a.request, tag, b.remoteTag, offer);
      answer = await media.answerBetween(this.a.request, tag, b.remoteTag, this.bSdp);
    } else {
      answer = await new Promise((resolve2) => {
        const out = this.opts.ua.reinvite(b, { body: offer, contentType: "application/sdp" }, {
          onAnswer: (res) => resolve2(res.body.length > 0 ? res.bodyText : void 0),
          onFailure: () => resolve2(void 0)
        });
        if (out === void 0) resolve2(void 0);
      });
      if (answer !== void 0) this.bSdp = answer;
    }
    if (answer === void 0 || this.ended || !this.callerLost || inv.finalStatus !== void 0) return false;
    this.aDialog = inv.accept({ body: answer, contentType: "application/sdp" });
    this.bindDialog(this.aDialog, "a");
    this.callerTag = tag;
    this.callerLost = false;
    inv.onAckTimeout = () => this.hangup("server", "no ACK for 2xx");
    this.log.info({ callId: inv.request.callId }, "new caller leg attached");
    return true;
  }
  /** A request from the B-leg while no caller is attached: answered here, nothing is relayed. */
  answerWhileCallerLost(req, tx) {
    const b = this.bDialog;
    if (req.method !== "INVITE") {
      tx.respond(createResponse(req, req.method === "INFO" || req.method === "OPTIONS" || req.method === "UPDATE" && req.body.length === 0 ? 200 : 488));
      return;
    }
    const incoming = b.reinvite;
    b.reinvite = void 0;
    if (incoming === void 0) return;
    const media = this.opts.media;
    if (media === void 0 || req.body.length === 0) {
      incoming.reject(488);
      return;
    }
    this.bSdp = req.bodyText;
    void (async () => {
      await media.offerBetween(this.a.request, b.remoteTag, this.callerTag, req.bodyText);
      const answer = await media.answerBetween(this.a.request, b.remoteTag, this.callerTag, placeholderAnswer(req.bodyText));
      incoming.accept({ body: answer, contentType: "application/sdp" });
    })().catch((e) => {
      this.log.warn({ err: e.message }, "re-INVITE while the caller is lost failed");
      incoming.reject(500);
    });
  }
  // ---------------------------------------------------------------- ending
  /** Release the call from `by`'s side (or the server): BYE whatever is still up. */
  hangup(by, why) {
    if (this.ended) return;
    this.releasing = true;
    this.log.debug({ by, why }, "hangup");
    const wasConnected = this.state === "connected";
    if (by !== "a" && this.aDialog !== void 0 && this.aDialog.state !== "terminated") void this.opts.ua.bye(this.aDialog);
    if (by !== "b" && this.bDialog !== void 0 && this.bDialog.state !== "terminated") void this.opts.ua.bye(this.bDialog);
    if (this.a.finalStatus === void 0) this.a.reject(by === "server" ? 500 : 487);
    this.a.stopRetransmit();
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
      if (b.status === void 0) b.invite?.cancel();
    }
    void this.finish({ result: wasConnected ? "answered" : "error", by });
  }
  fail(status, reason, result) {
    if (this.ended) return;
    if (this.a.finalStatus === void 0) this.a.reject(status, reason === void 0 ? {} : { reason });
    const r = result ?? (status === 486 || status === 600 ? "busy" : status === 480 || status === 408 ? "no-answer" : "failed");
    void this.finish({ result: r, status, by: "b" });
  }
  async finish(end) {
    if (this.ended) return;
    this.ended = true;
    this.state = "ended";
    for (const r of this.relaying) r.reject(487);
    this.relaying.clear();
    for (const b of this.branches) {
      this.clearBranchTimer(b);
      this.abandonConfirm(b);
    }
    this.opts.onEnd?.(this, end);
    for (const o of this.observers()) o.onEnd?.(this, end);
    if (this.opts.media !== void 0) {
      try {
        const media = await this.opts.media.release(this.a.request);
        if (media !== void 0) this.log.info({ media }, "media stats");
      } catch (e) {
        this.log.warn({ err: e.message }, "media delete failed");
      }
    }
  }
  clearBranchTimer(b) {
    if (b.timer !== void 0) clearTimeout(b.timer);
    b.timer = void 0;
  }
};

// src/b2bua/call-media.ts
var CallMedia = class {
  constructor(anchor) {
    this.anchor = anchor;
  }
  anchor;
  /** Caller's offer in the initial INVITE → the offer we send to callees. */
  async offerFromCaller(aInvite) {
    const r = await this.anchor.offer({ callId: aInvite.callId, fromTag: aInvite.from.tag ?? "", sdp: aInvite.bodyText });
    return r.sdp;
  }
  /** A callee's answer (18x or 2xx) → the answer for the caller. */
  async answerFromCallee(aInvite, res) {
    const r = await this.anchor.answer({ callId: aInvite.callId, fromTag: aInvite.from.tag ?? "", toTag: res.to.tag ?? "", sdp: res.bodyText });
    return r.sdp;
  }
  /** Late offer: the callee's 2xx carries the offer. */
  async offerFromCallee(aInvite, res) {
    const r = await this.anchor.offer({ callId: aInvite.callId, fromTag: res.to.tag ?? "", toTag: aInvite.from.tag ?? "", sdp: res.bodyText });
    return r.sdp;
  }
  /** Late offer: the caller's ACK carries the answer. */
  async answerFromCaller(aInvite, bDialog, ack) {
    const r = await this.anchor.answer({ callId: aInvite.callId, fromTag: bDialog.remoteTag, toTag: aInvite.from.tag ?? "", sdp: ack.bodyText });
    return r.sdp;
  }
  /** A mid-call offer from the side of `from` towards `to`. */
  async reoffer(aInvite, from, to, sdp) {
    const r = await this.anchor.offer({ callId: aInvite.callId, fromTag: from.remoteTag, toTag: to.remoteTag, sdp });
    return r.sdp;
  }
  /** The answer to a mid-call offer that `from` made, coming from `to`. */
  async reanswer(aInvite, from, to, sdp) {
    const r = await this.anchor.answer({ callId: aInvite.callId, fromTag: from.remoteTag, toTag: to.remoteTag, sdp });
    return r.sdp;
  }
  /**
   * An offer between two media tags the call chooses itself: a new leg taking over one
   * side (session resumption), or a local answer while that side is gone. Port latching
   * keeps the anchor's ports towards `toTag`, so that side needs no re-INVITE.
   */
  async offerBetween(aInvite, fromTag, toTag, sdp) {
    const r = await this.anchor.offer({ callId: aInvite.callId, fromTag, toTag, sdp, flags: ["port-latching"] });
    return r.sdp;
  }
  /** The answer to offerBetween(fromTag, toTag), carrying `toTag`'s SDP; returns the SDP for `fromTag`. */
  async answerBetween(aInvite, fromTag, toTag, sdp) {
    const r = await this.anchor.answer({ callId: aInvite.callId, fromTag, toTag, sdp, flags: ["port-latching"] });
    return r.sdp;
  }
  /** Delete the call in rtpengine; returns its final per-leg packet counts for the call log. */
  async release(aInvite) {
    const stats = await this.anchor.deleteWithStats(aInvite.callId);
    if (stats === void 0) return void 0;
    return {
      instance: stats.instance,
      legs: stats.legs.map((l) => ({ tag: l.tag, packets: l.rtp.packets, bytes: l.rtp.bytes, errors: l.rtp.errors })),
      ...stats.ssrc.length > 0 ? { quality: stats.ssrc } : {}
    };
  }
};

// src/b2bua/overload.ts
var OverloadControl = class {
  constructor(s) {
    this.s = s;
    this.tokens = s.maxCps;
  }
  s;
  tokens;
  last = Date.now();
  inSetup = 0;
  rejected = 0;
  get retryAfterS() {
    return this.s.retryAfterS;
  }
  /** true: admit the call (the caller must call `setupDone()` once it connects or ends). */
  admit(now = Date.now()) {
    if (this.s.maxCallsInSetup > 0 && this.inSetup >= this.s.maxCallsInSetup) {
      this.rejected++;
      return false;
    }
    if (this.s.maxCps > 0) {
      this.tokens = Math.min(this.s.maxCps, this.tokens + (now - this.last) / 1e3 * this.s.maxCps);
      this.last = now;
      if (this.tokens < 1) {
        this.rejected++;
        return false;
      }
      this.tokens -= 1;
    }
    this.inSetup++;
    return true;
  }
  setupDone() {
    if (this.inSetup > 0) this.inSetup--;
  }
};

// src/media/media-anchor.ts
import { performance } from "node:perf_hooks";

// src/media/bencode.ts
var BencodeError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "BencodeError";
  }
};
var parts = [];
var hasBuffer = false;
function encodeValue(v) {
  if (typeof v === "string") {
    parts.push(`${Buffer.byteLength(v)}:`, v);
  } else if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new BencodeError(`bencode: not an integer: ${v}`);
    parts.push(`i${v}e`);
  } else if (typeof v === "boolean") {
    parts.push(v ? "i1e" : "i0e");
  } else if (Buffer.isBuffer(v)) {
    hasBuffer = true;
    parts.push(`${v.length}:`, v);
  } else if (Array.isArray(v)) {
    parts.push("l");
    for (const item of v) encodeValue(item);
    parts.push("e");
  } else if (v !== null && typeof v === "object") {
    parts.push("d");
    const obj = v;
    for (const key2 in obj) {
      const item = obj[key2];
      if (item === void 0) continue;
      parts.push(`${Buffer.byteLength(key2)}:`, key2);
      encodeValue(item);
    }
    parts.push("e");
  } else {
    throw new BencodeError(`bencode: unsupported value ${String(v)}`);
  }
}
function bencode(value, prefix = "") {
  parts = prefix === "" ? [] : [prefix];
  hasBuffer = false;
  try {
    encodeValue(value);
    if (!hasBuffer) return Buffer.from(parts.join(""), "utf8");
    return Buffer.concat(parts.map((p) => typeof p === "string" ? Buffer.from(p, "utf8") : p));
  } finally {
    parts = [];
  }
}
var CH_0 = 48;
var CH_9 = 57;
var CH_COLON = 58;
var CH_MINUS = 45;
var CH_D = 100;
var CH_E = 101;
var CH_I = 105;
var CH_L = 108;
var dBuf = Buffer.alloc(0);
var dPos = 0;
var dEnd = 0;
function readInt(terminator) {
  let neg = false;
  if (dBuf[dPos] === CH_MINUS) {
    neg = true;
    dPos++;
  }
  const first = dPos;
  let n = 0;
  while (dPos < dEnd) {
    const c = dBuf[dPos];
    if (c === terminator) break;
    if (c < CH_0 || c > CH_9) throw new BencodeError(`bdecode: bad digit at ${dPos}`);
    n = n * 10 + (c - CH_0);
    dPos++;
  }
  if (dPos >= dEnd || dPos === first) throw new BencodeError(`bdecode: bad integer at ${first}`);
  dPos++;
  return neg ? -n : n;
}
function readString() {
  const len = readInt(CH_COLON);
  if (len < 0 || dPos + len > dEnd) throw new BencodeError(`bdecode: string overruns at ${dPos}`);
  const s = dBuf.toString("utf8", dPos, dPos + len);
  dPos += len;
  return s;
}
function readValue(depth) {
  if (depth > 64) throw new BencodeError("bdecode: nesting too deep");
  if (dPos >= dEnd) throw new BencodeError("bdecode: unexpected end");
  const c = dBuf[dPos];
  if (c === CH_I) {
    dPos++;
    return readInt(CH_E);
  }
  if (c === CH_L) {
    dPos++;
    const list2 = [];
    while (dPos < dEnd && dBuf[dPos] !== CH_E) list2.push(readValue(depth + 1));
    if (dPos >= dEnd) throw new BencodeError("bdecode: unterminated list");
    dPos++;
    return list2;
  }
  if (c === CH_D) {
    dPos++;
    const dict = /* @__PURE__ */ Object.create(null);
    while (dPos < dEnd && dBuf[dPos] !== CH_E) {
      const c2 = dBuf[dPos];
      if (c2 < CH_0 || c2 > CH_9) throw new BencodeError(`bdecode: dict key not a string at ${dPos}`);
      const key2 = readString();
      dict[key2] = readValue(depth + 1);
    }
    if (dPos >= dEnd) throw new BencodeError("bdecode: unterminated dict");
    dPos++;
    return dict;
  }
  if (c >= CH_0 && c <= CH_9) return readString();
  throw new BencodeError(`bdecode: unexpected byte 0x${c.toString(16)} at ${dPos}`);
}
function bdecode(buf, start = 0, end = buf.length) {
  dBuf = buf;
  dPos = start;
  dEnd = end;
  try {
    const value = readValue(0);
    if (dPos !== dEnd) throw new BencodeError(`bdecode: trailing bytes at ${dPos}`);
    return value;
  } finally {
    dBuf = EMPTY2;
  }
}
var EMPTY2 = Buffer.alloc(0);
function isBDict(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// src/media/ng-client.ts
import dgram from "node:dgram";
import { randomBytes as randomBytes5 } from "node:crypto";
var MAX_NG_DATAGRAM = 65507;
var NgTimeoutError = class extends Error {
  constructor(endpoint, command, timeoutMs) {
    super(`rtpengine ${endpoint.host}:${endpoint.port} did not answer '${command}' within ${timeoutMs} ms`);
    this.endpoint = endpoint;
    this.command = command;
    this.timeoutMs = timeoutMs;
    this.name = "NgTimeoutError";
  }
  endpoint;
  command;
  timeoutMs;
};
var NgCommandError = class extends Error {
  constructor(endpoint, command, reason) {
    super(`rtpengine ${endpoint.host}:${endpoint.port} '${command}' failed: ${reason}`);
    this.endpoint = endpoint;
    this.command = command;
    this.reason = reason;
    this.name = "NgCommandError";
  }
  endpoint;
  command;
  reason;
};
var NgClient = class _NgClient {
  constructor(socket, timeoutMs, retransmitAfterMs) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    this.retransmitAfterMs = retransmitAfterMs;
    socket.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on("error", () => void 0);
  }
  socket;
  timeoutMs;
  retransmitAfterMs;
  stats = { sent: 0, retransmits: 0, replies: 0, strays: 0, timeouts: 0, decodeErrors: 0 };
  pending = /* @__PURE__ */ new Map();
  prefix = randomBytes5(5).toString("hex") + "_";
  seq = 0;
  closed = false;
  static async create(opts = {}) {
    const socket = dgram.createSocket({ type: "udp4" });
    await new Promise((resolve2, reject) => {
      socket.once("error", reject);
      socket.bind(opts.localPort ?? 0, opts.localAddress ?? "127.0.0.1", () => {
        socket.off("error", reject);
        resolve2();
      });
    });
    socket.unref();
    const timeoutMs = opts.timeoutMs ?? 1e3;
    return new _NgClient(socket, timeoutMs, opts.retransmitAfterMs ?? Math.floor(timeoutMs / 2));
  }
  get pendingCount() {
    return this.pending.size;
  }
  get localPort() {
    return this.socket.address().port;
  }
  /**
   * Send one ng command and resolve with the reply dict. Rejects with NgCommandError when
   * rtpengine answers `result: error`, NgTimeoutError when nothing arrives in time.
   */
  request(endpoint, message, opts) {
    if (this.closed) return Promise.reject(new Error("ng client closed"));
    const cookie = this.prefix + (this.seq++).toString(36);
    let bytes;
    try {
      bytes = bencode(message, cookie + " ");
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (bytes.length > MAX_NG_DATAGRAM) {
      return Promise.reject(new Error(`ng '${message.command}' is ${bytes.length} bytes, over the UDP limit of ${MAX_NG_DATAGRAM}`));
    }
    const timeoutMs = opts?.timeoutMs ?? this.timeoutMs;
    const retransmitAfterMs = opts?.retransmitAfterMs ?? (opts?.timeoutMs !== void 0 ? Math.floor(timeoutMs / 2) : this.retransmitAfterMs);
    return new Promise((resolve2, reject) => {
      const p = {
        cookie,
        endpoint,
        command: message.command,
        bytes,
        timeoutMs,
        resolve: resolve2,
        reject,
        timer: void 0
      };
      if (retransmitAfterMs > 0 && retransmitAfterMs < timeoutMs) {
        p.timer = setTimeout(() => this.onRetransmitTimer(p, timeoutMs - retransmitAfterMs), retransmitAfterMs);
      } else {
        p.timer = setTimeout(() => this.onTimeout(p), timeoutMs);
      }
      this.pending.set(cookie, p);
      this.send(p);
    });
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error("ng client closed"));
    }
    this.pending.clear();
    await new Promise((resolve2) => this.socket.close(() => resolve2()));
  }
  send(p) {
    this.stats.sent++;
    this.socket.send(p.bytes, p.endpoint.port, p.endpoint.host, (err) => {
      void err;
    });
  }
  onRetransmitTimer(p, remainingMs) {
    if (this.pending.get(p.cookie) !== p) return;
    this.stats.retransmits++;
    this.send(p);
    p.timer = setTimeout(() => this.onTimeout(p), remainingMs);
  }
  onTimeout(p) {
    if (this.pending.get(p.cookie) !== p) return;
    this.pending.delete(p.cookie);
    this.stats.timeouts++;
    p.reject(new NgTimeoutError(p.endpoint, p.command, p.timeoutMs));
  }
  onMessage(msg, rinfo) {
    const sp = msg.indexOf(32);
    if (sp <= 0) {
      this.stats.decodeErrors++;
      return;
    }
    const cookie = msg.toString("latin1", 0, sp);
    const p = this.pending.get(cookie);
    if (p === void 0 || rinfo.port !== p.endpoint.port) {
      this.stats.strays++;
      return;
    }
    let data;
    try {
      data = bdecode(msg, sp + 1);
    } catch {
      this.stats.decodeErrors++;
      return;
    }
    if (!isBDict(data)) {
      this.stats.decodeErrors++;
      return;
    }
    this.pending.delete(cookie);
    clearTimeout(p.timer);
    this.stats.replies++;
    if (data["result"] === "error") {
      const reason = data["error-reason"];
      p.reject(new NgCommandError(p.endpoint, p.command, typeof reason === "string" ? reason : "unknown error"));
      return;
    }
    p.resolve(data);
  }
};

// src/media/media-anchor.ts
var MediaUnavailableError = class extends Error {
  constructor(callId, tried, reasons) {
    super(`no media anchor available for call ${callId}; tried ${tried.join(", ") || "(none)"}: ${reasons.join("; ")}`);
    this.callId = callId;
    this.tried = tried;
    this.reasons = reasons;
    this.name = "MediaUnavailableError";
  }
  callId;
  tried;
  reasons;
};
var MediaCommandError = class extends Error {
  constructor(instance, command, reason) {
    super(`rtpengine ${instance} refused '${command}': ${reason}`);
    this.instance = instance;
    this.command = command;
    this.reason = reason;
    this.name = "MediaCommandError";
  }
  instance;
  command;
  reason;
};
var MediaCallUnknownError = class extends Error {
  constructor(callId) {
    super(`media anchor has no call ${callId}`);
    this.callId = callId;
    this.name = "MediaCallUnknownError";
  }
  callId;
};
var RESOURCE_ERROR = /ran out of ports|limit reached|overload|no (?:free )?ports|not enough/i;
var PSTN_SDP = /^(?:c=PSTN\b|m=\S+ \d+(?:\/\d+)? PSTN\b)/m;
var MediaAnchor = class _MediaAnchor {
  constructor(ng, opts) {
    this.ng = ng;
    this.instances = opts.instances.map((i) => ({
      name: i.name ?? `${i.host}:${i.port}`,
      endpoint: { host: i.host, port: i.port },
      downUntil: 0,
      calls: 0,
      commands: 0,
      errors: 0,
      timeouts: 0
    }));
    this.cooldownMs = opts.instanceCooldownMs ?? 5e3;
    this.timeoutMs = opts.timeoutMs ?? 1e3;
    this.retransmitAfterMs = opts.retransmitAfterMs ?? Math.floor(this.timeoutMs / 2);
    this.replace = opts.defaults?.replace ?? ["origin", "session-connection"];
    this.ice = opts.defaults?.ice ?? "remove";
    this.direction = opts.defaults?.direction;
    this.defaultFlags = opts.defaults?.flags ?? [];
    this.observer = opts.observer ? safeObserver(opts.observer) : void 0;
  }
  ng;
  instances;
  calls = /* @__PURE__ */ new Map();
  rr = 0;
  commands = 0;
  errors = 0;
  timeouts = 0;
  failovers = 0;
  cooldownMs;
  timeoutMs;
  retransmitAfterMs;
  replace;
  ice;
  direction;
  defaultFlags;
  observer;
  static async create(opts) {
    if (opts.instances.length === 0) throw new Error("MediaAnchor needs at least one rtpengine instance");
    const ng = await NgClient.create({
      localAddress: opts.localAddress ?? "127.0.0.1",
      timeoutMs: opts.timeoutMs ?? 1e3,
      ...opts.retransmitAfterMs !== void 0 ? { retransmitAfterMs: opts.retransmitAfterMs } : {}
    });
    return new _MediaAnchor(ng, opts);
  }
  /** Calls currently mapped to an instance; returns to 0 when every call was deleted. */
  get activeCalls() {
    return this.calls.size;
  }
  /** Instance name a call is on, if known. */
  instanceOf(callId) {
    return this.calls.get(callId)?.instance.name;
  }
  stats() {
    return {
      activeCalls: this.calls.size,
      commands: this.commands,
      errors: this.errors,
      timeouts: this.timeouts,
      failovers: this.failovers,
      retransmits: this.ng.stats.retransmits,
      strayReplies: this.ng.stats.strays,
      pendingRequests: this.ng.pendingCount,
      instances: this.instances.map((i) => ({
        name: i.name,
        up: i.downUntil <= Date.now(),
        calls: i.calls,
        commands: i.commands,
        errors: i.errors,
        timeouts: i.timeouts
      }))
    };
  }
  async close() {
    await this.ng.close();
  }
  /** Drop a call from the map without telling rtpengine (its own timeouts will clean up). */
  forget(callId) {
    const e = this.calls.get(callId);
    if (e) this.dropEntry(callId, e);
  }
  // ---- offer / answer / delete ----
  async offer(p) {
    assertAnchorable(p.sdp, "offer");
    const msg = this.sdpMessage("offer", p);
    if (p.toTag !== void 0) msg["to-tag"] = p.toTag;
    let entry = this.calls.get(p.callId);
    while (entry?.settling) {
      await entry.settling.catch(() => void 0);
      entry = this.calls.get(p.callId);
    }
    if (!entry) return this.offerNewCall(p.callId, msg);
    const reply = await this.sendExisting(entry, msg, p.callId);
    return sdpResult(reply, entry.instance);
  }
  async answer(p) {
    assertAnchorable(p.sdp, "answer");
    const msg = this.sdpMessage("answer", p);
    msg["to-tag"] = p.toTag;
    const entry = await this.requireEntry(p.callId);
    const reply = await this.sendExisting(entry, msg, p.callId);
    return sdpResult(reply, entry.instance);
  }
  /**
   * Delete the whole call (no toTag/viaBranch) or one branch. Idempotent: an unknown call,
   * a timeout or an error never throws (they are counted and reported to the observer);
   * resolves true when rtpengine confirmed. A whole-call delete always drops the map entry.
   */
  async delete(p) {
    return await this.deleteReply(p) !== void 0;
  }
  /**
   * Delete the whole call and return rtpengine's final statistics: the delete
   * reply carries the same counters as `query`, so this costs no extra command.
   */
  async deleteWithStats(callId) {
    const instance = this.instanceOf(callId);
    const reply = await this.deleteReply({ callId });
    if (reply === void 0 || instance === void 0) return void 0;
    try {
      return parseQuery(callId, instance, reply);
    } catch {
      return void 0;
    }
  }
  async deleteReply(p) {
    const entry = await this.settledEntry(p.callId);
    if (!entry) return void 0;
    const whole = p.toTag === void 0 && p.viaBranch === void 0;
    if (whole) this.dropEntry(p.callId, entry);
    const msg = { command: "delete", "call-id": p.callId, "delete delay": 0 };
    if (p.fromTag !== void 0) msg["from-tag"] = p.fromTag;
    if (p.toTag !== void 0) msg["to-tag"] = p.toTag;
    if (p.viaBranch !== void 0) msg["via-branch"] = p.viaBranch;
    try {
      const reply = await this.send(entry.instance, msg, p.callId);
      if (!whole && typeof reply["warning"] === "string" && /not found/i.test(reply["warning"])) {
        this.dropEntry(p.callId, entry);
      }
      return reply;
    } catch (err) {
      if (!whole && err instanceof MediaCommandError && /unknown call/i.test(err.reason)) this.dropEntry(p.callId, entry);
      return void 0;
    }
  }
  async query(callId) {
    const entry = await this.requireEntry(callId);
    const reply = await this.sendExisting(entry, { command: "query", "call-id": callId }, callId);
    return parseQuery(callId, entry.instance.name, reply);
  }
  // ---- media control ----
  /** Returns the media duration in ms when rtpengine reports it. */
  async playMedia(p) {
    if (p.file === void 0 === (p.blob === void 0)) throw new Error("playMedia needs exactly one of file or blob");
    const entry = await this.requireEntry(p.callId);
    const msg = { command: "play media", "call-id": p.callId, "from-tag": p.fromTag };
    if (p.file !== void 0) msg["file"] = p.file;
    if (p.blob !== void 0) msg["blob"] = p.blob;
    if (p.repeatTimes !== void 0) msg["repeat-times"] = p.repeatTimes;
    const reply = await this.sendExisting(entry, msg, p.callId);
    const d = reply["duration"];
    return typeof d === "number" ? { durationMs: d } : {};
  }
  async stopMedia(p) {
    await this.tagCommand("stop media", p);
  }
  /** Drop media *from* the participant named by fromTag (whole call when omitted). */
  async blockMedia(p) {
    await this.tagCommand("block media", p);
  }
  async unblockMedia(p) {
    await this.tagCommand("unblock media", p);
  }
  async playDtmf(p) {
    const entry = await this.requireEntry(p.callId);
    const msg = { command: "play DTMF", "call-id": p.callId, "from-tag": p.fromTag, code: p.code };
    if (p.durationMs !== void 0) msg["duration"] = p.durationMs;
    if (p.volume !== void 0) msg["volume"] = p.volume;
    await this.sendExisting(entry, msg, p.callId);
  }
  /** ng ping of every instance; resolves with the names that answered. Clears cooldowns. */
  async ping(timeoutMs = this.timeoutMs) {
    const alive = [];
    await Promise.all(
      this.instances.map(async (inst) => {
        try {
          const r = await this.send(inst, { command: "ping" }, void 0, timeoutMs);
          if (r["result"] === "pong") alive.push(inst.name);
        } catch {
        }
      })
    );
    return alive;
  }
  // ---- internals ----
  sdpMessage(command, p) {
    const msg = {
      command,
      "call-id": p.callId,
      "from-tag": p.fromTag,
      sdp: p.sdp,
      replace: p.replace ?? this.replace,
      ICE: p.ice ?? this.ice
    };
    const flags = p.flags && p.flags.length > 0 ? [...this.defaultFlags, ...p.flags] : this.defaultFlags;
    if (flags.length > 0) msg["flags"] = flags;
    const direction = p.direction ?? this.direction;
    if (direction !== void 0) msg["direction"] = direction;
    if (p.viaBranch !== void 0) msg["via-branch"] = p.viaBranch;
    if (p.transportProtocol !== void 0) msg["transport-protocol"] = p.transportProtocol;
    if (p.extra) for (const k in p.extra) msg[k] = p.extra[k];
    return msg;
  }
  async tagCommand(command, p) {
    const entry = await this.requireEntry(p.callId);
    const msg = { command, "call-id": p.callId };
    if (p.fromTag !== void 0) msg["from-tag"] = p.fromTag;
    await this.sendExisting(entry, msg, p.callId);
  }
  /** For a call already on an instance: a timeout cannot fail over, it is MediaUnavailableError. */
  async sendExisting(entry, msg, callId) {
    const inst = entry.instance;
    try {
      return await this.send(inst, msg, callId);
    } catch (err) {
      if (err instanceof NgTimeoutError) throw new MediaUnavailableError(callId, [inst.name], [`${inst.name}: timeout`]);
      throw err;
    }
  }
  /** The call's entry once any first offer in flight has settled. */
  async settledEntry(callId) {
    let entry = this.calls.get(callId);
    while (entry?.settling) {
      await entry.settling.catch(() => void 0);
      entry = this.calls.get(callId);
    }
    return entry;
  }
  async requireEntry(callId) {
    const entry = await this.settledEntry(callId);
    if (!entry) throw new MediaCallUnknownError(callId);
    return entry;
  }
  dropEntry(callId, entry) {
    if (this.calls.get(callId) === entry) {
      this.calls.delete(callId);
      entry.instance.calls--;
    }
  }
  /** Instances to try for a new call: round-robin start, instances in cooldown last. */
  candidates() {
    const n = this.instances.length;
    const start = this.rr++ % n;
    if (this.rr >= Number.MAX_SAFE_INTEGER) this.rr = 0;
    const now = Date.now();
    const up = [];
    const down = [];
    for (let k = 0; k < n; k++) {
      const inst = this.instances[(start + k) % n];
      (inst.downUntil <= now ? up : down).push(inst);
    }
    return down.length === 0 ? up : up.concat(down);
  }
  async offerNewCall(callId, msg) {
    const order = this.candidates();
    const entry = { instance: order[0], settling: void 0 };
    entry.instance.calls++;
    this.calls.set(callId, entry);
    const run = async () => {
      const tried = [];
      const reasons = [];
      for (const inst of order) {
        if (inst !== entry.instance) {
          entry.instance.calls--;
          entry.instance = inst;
          inst.calls++;
        }
        tried.push(inst.name);
        try {
          const reply = await this.send(inst, msg, callId);
          return sdpResult(reply, inst);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          const timedOut = err instanceof NgTimeoutError;
          const resource = err instanceof MediaCommandError && RESOURCE_ERROR.test(err.reason);
          if (!timedOut && !resource) throw err;
          reasons.push(`${inst.name}: ${timedOut ? "timeout" : err.reason}`);
          this.failovers++;
          this.observer?.onFailover?.({ callId, from: inst.name, reason });
          if (timedOut) this.fireAndForgetDelete(inst, callId);
        }
      }
      throw new MediaUnavailableError(callId, tried, reasons);
    };
    const promise = run();
    entry.settling = promise;
    try {
      return await promise;
    } catch (err) {
      this.dropEntry(callId, entry);
      throw err;
    } finally {
      entry.settling = void 0;
    }
  }
  fireAndForgetDelete(inst, callId) {
    this.ng.request(inst.endpoint, { command: "delete", "call-id": callId, "delete delay": 0 }, { timeoutMs: this.timeoutMs }).catch(() => void 0);
  }
  /** One ng command with accounting; maps errors to MediaCommandError / NgTimeoutError. */
  async send(inst, msg, callId, timeoutMs) {
    const t0 = performance.now();
    this.commands++;
    inst.commands++;
    try {
      const reply = await this.ng.request(
        inst.endpoint,
        msg,
        timeoutMs !== void 0 ? { timeoutMs } : { timeoutMs: this.timeoutMs, retransmitAfterMs: this.retransmitAfterMs }
      );
      if (inst.downUntil !== 0) {
        inst.downUntil = 0;
        this.observer?.onInstanceState?.({ instance: inst.name, up: true });
      }
      const warning = reply["warning"];
      this.observer?.onCommand?.({
        instance: inst.name,
        command: msg.command,
        callId,
        outcome: "ok",
        latencyMs: performance.now() - t0,
        ...typeof warning === "string" ? { reason: warning } : {}
      });
      return reply;
    } catch (err) {
      const latencyMs = performance.now() - t0;
      if (err instanceof NgTimeoutError) {
        this.timeouts++;
        inst.timeouts++;
        const wasUp = inst.downUntil <= Date.now();
        inst.downUntil = Date.now() + this.cooldownMs;
        if (wasUp) this.observer?.onInstanceState?.({ instance: inst.name, up: false });
        this.observer?.onCommand?.({ instance: inst.name, command: msg.command, callId, outcome: "timeout", latencyMs });
        throw err;
      }
      this.errors++;
      inst.errors++;
      const reason = err instanceof NgCommandError ? err.reason : err instanceof Error ? err.message : String(err);
      this.observer?.onCommand?.({ instance: inst.name, command: msg.command, callId, outcome: "error", latencyMs, reason });
      throw new MediaCommandError(inst.name, msg.command, reason);
    }
  }
};
function assertAnchorable(sdp, command) {
  if (PSTN_SDP.test(sdp)) throw new MediaCommandError("(none)", command, "PSTN bearer SDP (c=PSTN / m=... PSTN) cannot be anchored");
}
function safeObserver(o) {
  const guard2 = (fn) => (e) => {
    try {
      fn?.call(o, e);
    } catch {
    }
  };
  return {
    onCommand: guard2(o.onCommand),
    onFailover: guard2(o.onFailover),
    onInstanceState: guard2(o.onInstanceState)
  };
}
function sdpResult(reply, inst) {
  const sdp = reply["sdp"];
  if (typeof sdp !== "string") throw new MediaCommandError(inst.name, "offer/answer", "reply without sdp");
  const warning = reply["warning"];
  return typeof warning === "string" ? { sdp, instance: inst.name, warning } : { sdp, instance: inst.name };
}
function num(v) {
  return typeof v === "number" ? v : typeof v === "string" && v !== "" && !Number.isNaN(Number(v)) ? Number(v) : 0;
}
function optNum(v) {
  return typeof v === "number" ? v : void 0;
}
function counters(v) {
  if (!isBDict(v)) return { packets: 0, bytes: 0, errors: 0 };
  return { packets: num(v["packets"]), bytes: num(v["bytes"]), errors: num(v["errors"]) };
}
function strList(v) {
  return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
}
function parseStream(s) {
  const c = counters(s["stats"]);
  const ep = s["endpoint"];
  const flags = strList(s["flags"]);
  const lastPacket = optNum(s["last packet"]);
  return {
    ...c,
    localPort: num(s["local port"]),
    ...isBDict(ep) && typeof ep["address"] === "string" ? { endpoint: { address: ep["address"], port: num(ep["port"]) } } : {},
    rtcp: flags.includes("RTCP"),
    ...lastPacket !== void 0 ? { lastPacket } : {}
  };
}
function parseLeg(tag, t) {
  const medias = [];
  const rtp = { packets: 0, bytes: 0, errors: 0 };
  const rtcp = { packets: 0, bytes: 0, errors: 0 };
  const rawMedias = t["medias"];
  if (Array.isArray(rawMedias)) {
    for (const m of rawMedias) {
      if (!isBDict(m)) continue;
      const streams = Array.isArray(m["streams"]) ? m["streams"].filter(isBDict).map(parseStream) : [];
      for (const s of streams) {
        const acc = s.rtcp ? rtcp : rtp;
        acc.packets += s.packets;
        acc.bytes += s.bytes;
        acc.errors += s.errors;
      }
      medias.push({
        index: num(m["index"]),
        type: typeof m["type"] === "string" ? m["type"] : "",
        protocol: typeof m["protocol"] === "string" ? m["protocol"] : "",
        flags: strList(m["flags"]),
        streams
      });
    }
  }
  const label = t["label"];
  const branch = t["via-branch"];
  return {
    tag: typeof t["tag"] === "string" ? t["tag"] : tag,
    ...typeof label === "string" ? { label } : {},
    ...typeof branch === "string" ? { viaBranch: branch } : {},
    rtp,
    rtcp,
    medias
  };
}
function parseSsrc(key2, v) {
  const q = { ssrc: Number(key2) };
  if (!isBDict(v)) return q;
  const mos = (d) => isBDict(d) && typeof d["MOS"] === "number" ? d["MOS"] / 10 : void 0;
  const avg = v["average MOS"];
  const a = mos(avg);
  if (a !== void 0) q.averageMos = a;
  const lo = mos(v["lowest MOS"]);
  if (lo !== void 0) q.lowestMos = lo;
  const hi = mos(v["highest MOS"]);
  if (hi !== void 0) q.highestMos = hi;
  if (isBDict(avg)) {
    const j = optNum(avg["jitter"]);
    if (j !== void 0) q.jitter = j;
    const l = optNum(avg["packet loss"]);
    if (l !== void 0) q.packetLoss = l;
    const r = optNum(avg["round-trip time"]);
    if (r !== void 0) q.roundTripTime = r;
    const s = optNum(avg["samples"]);
    if (s !== void 0) q.samples = s;
  }
  return q;
}
function parseQuery(callId, instance, reply) {
  const legs = [];
  const tags = reply["tags"];
  if (isBDict(tags)) {
    for (const tag in tags) if (isBDict(tags[tag])) legs.push(parseLeg(tag, tags[tag]));
  }
  const totals = isBDict(reply["totals"]) ? reply["totals"] : void 0;
  const ssrc = [];
  const rawSsrc = reply["SSRC"];
  if (isBDict(rawSsrc)) for (const k in rawSsrc) ssrc.push(parseSsrc(k, rawSsrc[k]));
  const created = optNum(reply["created"]);
  const lastSignal = optNum(reply["last signal"]);
  return {
    callId,
    instance,
    ...created !== void 0 ? { created } : {},
    ...lastSignal !== void 0 ? { lastSignal } : {},
    legs,
    totals: { rtp: counters(totals?.["RTP"]), rtcp: counters(totals?.["RTCP"]) },
    ssrc,
    raw: reply
  };
}

// src/media/rtpengine-process.ts
import { spawn } from "node:child_process";
import dgram2 from "node:dgram";
import { access, constants as fsConstants } from "node:fs/promises";
var RtpengineStartError = class extends Error {
  constructor(message, log) {
    super(log ? `${message}
--- rtpengine stderr ---
${log}` : message);
    this.log = log;
    this.name = "RtpengineStartError";
  }
  log;
};
var DEFAULT_RTPENGINE_BINARY = "/usr/bin/rtpengine";
var LOG_TAIL_LINES = 40;
var liveChildren = /* @__PURE__ */ new Set();
var exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of liveChildren) child.kill("SIGKILL");
  });
}
function rtpengineArgs(opts) {
  const ifaces = opts.interface === void 0 ? ["127.0.0.1"] : typeof opts.interface === "string" ? [opts.interface] : opts.interface;
  const args = ["--config-file=none"];
  for (const i of ifaces) args.push(`--interface=${i}`);
  args.push(`--listen-ng=127.0.0.1:${opts.ngPort}`);
  if (opts.cliPort !== void 0) args.push(`--listen-cli=127.0.0.1:${opts.cliPort}`);
  args.push(
    `--port-min=${opts.portMin}`,
    `--port-max=${opts.portMax}`,
    "--delete-delay=0",
    "--foreground",
    "--log-stderr",
    "--table=-1",
    `--log-level=${opts.logLevel ?? 4}`
  );
  if (opts.extraArgs) args.push(...opts.extraArgs);
  return args;
}
async function startRtpengine(opts) {
  const binary = opts.binary ?? DEFAULT_RTPENGINE_BINARY;
  try {
    await access(binary, fsConstants.X_OK);
  } catch {
    throw new RtpengineStartError(`rtpengine binary not found or not executable: ${binary}`, "");
  }
  if (opts.portMin > opts.portMax || opts.portMin < 1024 || opts.portMax > 65535) {
    throw new RtpengineStartError(`bad rtpengine port range ${opts.portMin}-${opts.portMax}`, "");
  }
  if (!await udpPortFree(opts.ngPort)) {
    throw new RtpengineStartError(`ng port 127.0.0.1:${opts.ngPort} is already in use`, "");
  }
  installExitHook();
  const child = spawn(binary, rtpengineArgs(opts), { stdio: ["ignore", "ignore", "pipe"] });
  liveChildren.add(child);
  const tail = [];
  let partial = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line2 of lines) {
      tail.push(line2);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      opts.onLog?.(line2);
    }
  });
  const logTail = () => [...tail, partial].filter((l) => l !== "").join("\n");
  let exited = false;
  let spawnError;
  const exitPromise = new Promise((resolve2) => {
    child.once("error", (err) => {
      spawnError = err;
      exited = true;
      liveChildren.delete(child);
      resolve2();
    });
    child.once("close", () => {
      exited = true;
      liveChildren.delete(child);
      resolve2();
    });
  });
  const endpoint = { host: "127.0.0.1", port: opts.ngPort };
  const stop2 = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 3e3);
      await exitPromise;
      clearTimeout(killTimer);
    }
  };
  const ng = await NgClient.create({ timeoutMs: 200, retransmitAfterMs: 1e3 });
  try {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 5e3);
    for (; ; ) {
      if (exited) {
        throw new RtpengineStartError(
          spawnError ? `rtpengine failed to start: ${spawnError.message}` : `rtpengine exited during startup (code ${child.exitCode}, signal ${child.signalCode})`,
          logTail()
        );
      }
      try {
        const reply = await ng.request(endpoint, { command: "ping" });
        if (reply["result"] === "pong") break;
      } catch {
      }
      if (Date.now() > deadline) {
        await stop2();
        throw new RtpengineStartError(`rtpengine on ng port ${opts.ngPort} did not answer ping within ${opts.startTimeoutMs ?? 5e3} ms`, logTail());
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop2();
    throw err;
  } finally {
    await ng.close();
  }
  return {
    pid: child.pid,
    endpoint,
    ngPort: opts.ngPort,
    cliPort: opts.cliPort,
    portMin: opts.portMin,
    portMax: opts.portMax,
    get exited() {
      return exited;
    },
    logTail,
    stop: stop2
  };
}
async function udpPortFree(port2) {
  const sock = dgram2.createSocket("udp4");
  return new Promise((resolve2) => {
    sock.once("error", () => {
      sock.close();
      resolve2(false);
    });
    sock.bind(port2, "127.0.0.1", () => {
      sock.close(() => resolve2(true));
    });
  });
}

// src/media/sdp.ts
import sdpTransform from "sdp-transform";
function sdpLines(body) {
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}
var DIGITS = /^\d+$/;
var DIALABLE = /^\+?[0-9*#A-Da-d]{1,24}$/;
var TYPE_LETTERS = /* @__PURE__ */ new Set(["v", "o", "s", "i", "u", "e", "p", "c", "b", "t", "r", "z", "k", "a", "m"]);
var TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
var PROTO = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+(?:\/[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)*$/;
var MAX_SDP_BYTES = 64 * 1024;
function validIp4(a) {
  const host = a.split("/")[0];
  if (/^[\d.]+$/.test(host)) {
    const o = host.split(".");
    return o.length === 4 && o.every((x) => x !== "" && x.length <= 3 && Number(x) <= 255);
  }
  return /^[A-Za-z0-9.-]+$/.test(host);
}
function validConnection(value) {
  const f = value.split(" ");
  if (f.length !== 3) return `bad c= line "c=${value}"`;
  const [net2, type, addr] = f;
  if (net2 === "IN") {
    if (type === "IP4") return validIp4(addr) ? void 0 : `bad IPv4 address in c=: ${addr}`;
    if (type === "IP6") return /^[0-9A-Fa-f:.]+(?:\/\d+)?$/.test(addr) && addr.includes(":") ? void 0 : `bad IPv6 address in c=: ${addr}`;
    return `unknown address type in c=: ${type}`;
  }
  if (net2 === "PSTN") {
    if (type !== "E164") return `unknown PSTN address type in c=: ${type}`;
    return addr === "-" || DIALABLE.test(addr) ? void 0 : `bad number in c=PSTN E164: ${addr}`;
  }
  return `unknown network type in c=: ${net2}`;
}
function validateSdp(body) {
  if (typeof body !== "string" || body.trim() === "") return { ok: false, reason: "empty body" };
  if (Buffer.byteLength(body) > MAX_SDP_BYTES) return { ok: false, reason: "body too large" };
  const lines = sdpLines(body);
  if (lines[0] !== "v=0") return { ok: false, reason: "first line is not v=0" };
  let sawO = false;
  let sessionConn = false;
  let media = 0;
  let mediaNeedsConn = false;
  let mediaHasConn = false;
  const closeMedia = () => media > 0 && mediaNeedsConn && !mediaHasConn && !sessionConn ? `m= section ${media} has no c= line` : void 0;
  for (let i = 0; i < lines.length; i++) {
    const line2 = lines[i];
    if (line2.length < 2 || line2[1] !== "=") return { ok: false, reason: `line ${i + 1} is not <type>=<value>` };
    const type = line2[0];
    if (!TYPE_LETTERS.has(type)) return { ok: false, reason: `unknown line type "${type}=" at line ${i + 1}` };
    if (/[\0\r]/.test(line2)) return { ok: false, reason: `control character in line ${i + 1}` };
    const value = line2.slice(2);
    switch (type) {
      case "v":
        if (i !== 0) return { ok: false, reason: "repeated v= line" };
        break;
      case "o": {
        if (sawO || media > 0) return { ok: false, reason: "misplaced or repeated o= line" };
        sawO = true;
        const f = value.split(" ");
        if (f.length !== 6 || f.some((x) => x === "")) return { ok: false, reason: "o= needs 6 fields" };
        if (!DIGITS.test(f[1]) || !DIGITS.test(f[2])) return { ok: false, reason: "o= session id/version not numeric" };
        break;
      }
      case "c": {
        const err2 = validConnection(value);
        if (err2) return { ok: false, reason: err2 };
        if (media === 0) sessionConn = true;
        else mediaHasConn = true;
        break;
      }
      case "m": {
        const err2 = closeMedia();
        if (err2) return { ok: false, reason: err2 };
        media++;
        mediaHasConn = false;
        const f = value.split(" ");
        if (f.length < 4) return { ok: false, reason: `m= line ${media} needs media, port, proto and a format` };
        const [mt, port2, proto] = f;
        if (!TOKEN.test(mt)) return { ok: false, reason: `bad media type in m= line ${media}` };
        const pm = /^(\d{1,5})(?:\/(\d+))?$/.exec(port2);
        if (!pm || Number(pm[1]) > 65535) return { ok: false, reason: `bad port in m= line ${media}` };
        if (!PROTO.test(proto)) return { ok: false, reason: `bad proto in m= line ${media}` };
        if (f.slice(3).some((x) => x === "" || !TOKEN.test(x))) return { ok: false, reason: `bad format list in m= line ${media}` };
        mediaNeedsConn = Number(pm[1]) !== 0;
        break;
      }
      default:
        break;
    }
  }
  if (!sawO) return { ok: false, reason: "missing o= line" };
  if (media === 0) return { ok: false, reason: "no m= line" };
  const err = closeMedia();
  if (err) return { ok: false, reason: err };
  return { ok: true };
}

// src/registrar/binding-store.ts
var MemoryBindingStore = class {
  byAor = /* @__PURE__ */ new Map();
  list(aor) {
    return this.byAor.get(aor) ?? [];
  }
  put(binding) {
    const list2 = (this.byAor.get(binding.aor) ?? []).filter((b) => b.contact !== binding.contact);
    list2.push(binding);
    this.byAor.set(binding.aor, list2);
  }
  remove(aor, contact) {
    const list2 = (this.byAor.get(aor) ?? []).filter((b) => b.contact !== contact);
    if (list2.length === 0) this.byAor.delete(aor);
    else this.byAor.set(aor, list2);
  }
  removeAll(aor) {
    this.byAor.delete(aor);
  }
  sweep(now) {
    let n = 0;
    for (const [aor, list2] of this.byAor) {
      const keep = list2.filter((b) => b.expiresAt > now);
      n += list2.length - keep.length;
      if (keep.length === 0) this.byAor.delete(aor);
      else if (keep.length !== list2.length) this.byAor.set(aor, keep);
    }
    return n;
  }
  get size() {
    let n = 0;
    for (const l of this.byAor.values()) n += l.length;
    return n;
  }
};

// src/registrar/persistent-binding-store.ts
var PROTOCOLS = /* @__PURE__ */ new Set(["udp", "tcp", "tls", "ws", "wss"]);
var PersistentBindingStore = class _PersistentBindingStore {
  constructor(backing, onError) {
    this.backing = backing;
    this.onError = onError;
  }
  backing;
  onError;
  memory = new MemoryBindingStore();
  /** Load every unexpired binding from the backing store. */
  static async open(backing, onError) {
    const s = new _PersistentBindingStore(backing, onError);
    const now = Date.now();
    for (const aor of await backing.listAors(now)) {
      for (const b of await backing.list(aor, now)) {
        const protocol = b.received.transport;
        if (!PROTOCOLS.has(protocol)) continue;
        s.memory.put({
          aor: b.aor,
          contact: b.contact,
          expiresAt: b.expiresAt,
          q: b.q,
          callId: b.callId,
          cseq: b.cseq,
          // A connection does not survive our restart; the phone's next REGISTER brings a new one.
          flow: { protocol, address: b.received.address, port: b.received.port },
          ...b.instanceId !== null ? { instance: b.instanceId } : {},
          ...b.userAgent !== null ? { userAgent: b.userAgent } : {}
        });
      }
    }
    return s;
  }
  list(aor) {
    return this.memory.list(aor);
  }
  put(b) {
    this.memory.put(b);
    const row = {
      aor: b.aor,
      contact: b.contact,
      expiresAt: b.expiresAt,
      q: b.q,
      callId: b.callId,
      cseq: b.cseq,
      instanceId: null,
      regId: null,
      path: [],
      received: { address: b.flow.address, port: b.flow.port, transport: b.flow.protocol },
      flow: { connectionId: b.flow.connectionId ?? null, localAddress: null, localPort: null },
      params: b.instance !== void 0 ? { "+sip.instance": b.instance } : {},
      userAgent: b.userAgent ?? null,
      registeredAt: Date.now()
    };
    this.backing.put(row).catch(this.onError);
  }
  remove(aor, contact) {
    this.memory.remove(aor, contact);
    this.backing.remove(aor, `uri:${contact}`).catch(this.onError);
  }
  removeAll(aor) {
    this.memory.removeAll(aor);
    this.backing.removeAll(aor).catch(this.onError);
  }
  sweep(now) {
    this.backing.sweep(now).catch(this.onError);
    return this.memory.sweep(now);
  }
  get size() {
    return this.memory.size;
  }
};

// src/registrar/registrar.ts
var Registrar = class {
  constructor(store, directory, digest, lockout, settings, events = {}) {
    this.store = store;
    this.directory = directory;
    this.digest = digest;
    this.lockout = lockout;
    this.settings = settings;
    this.events = events;
  }
  store;
  directory;
  digest;
  lockout;
  settings;
  events;
  /** Current contacts of an AOR (user part), best q first, expired ones dropped. */
  lookup(aorUser, now = Date.now()) {
    return this.store.list(aorUser).filter((b) => b.expiresAt > now).sort((x, y) => y.q - x.q);
  }
  handle(req, tx, flow) {
    const aorUser = aorOf(req);
    if (aorUser === void 0) {
      tx.respond(createResponse(req, 404, "Not Found - To URI has no user part"));
      return;
    }
    const credentials = req.getAll("authorization");
    const pre = this.lockout.check(flow.remoteAddress);
    if (pre.locked) {
      tx.respond(createResponse(req, 403, "Forbidden"));
      return;
    }
    const result = this.digest.verify({
      method: "REGISTER",
      credentialsValue: credentials.length > 0 ? credentials : void 0,
      lookupHa1: (u, realm, hash) => this.directory.ha1(u, realm, hash)
    });
    if (!result.ok) {
      if (result.reason !== "missing" && !result.stale) {
        this.lockout.recordFailure(flow.remoteAddress, result.username);
        this.events.onAuthFailure?.(flow.remoteAddress, result.username, result.reason);
      }
      const res = createResponse(req, 401);
      res.set("www-authenticate", result.challenge);
      tx.respond(res);
      return;
    }
    if (this.lockout.check(flow.remoteAddress, result.username).locked) {
      tx.respond(createResponse(req, 403, "Forbidden"));
      return;
    }
    if (!this.directory.mayRegister(result.username, aorUser)) {
      this.lockout.recordFailure(flow.remoteAddress, result.username);
      tx.respond(createResponse(req, 403, "Forbidden - not allowed to register this address"));
      return;
    }
    this.lockout.recordSuccess(flow.remoteAddress, result.username);
    this.update(req, tx, flow, aorUser);
  }
  update(req, tx, flow, aorUser) {
    const now = Date.now();
    const contacts = req.contacts;
    const headerExpires = parseExpires(req.get("expires"));
    const callId = req.callId;
    const cseq = req.cseq.seq;
    if (contacts === "*") {
      if (headerExpires !== 0 || req.getAll("contact").length > 1) {
        tx.respond(createResponse(req, 400, "Bad Request - wildcard Contact needs Expires: 0"));
        return;
      }
      this.store.removeAll(aorUser);
      tx.respond(this.ok(req, aorUser, now));
      return;
    }
    for (const c of contacts) {
      const e = parseExpires(c.params.get("expires") ?? void 0) ?? headerExpires ?? this.settings.defaultExpiresS;
      if (e !== 0 && e < this.settings.minExpiresS) {
        const res = createResponse(req, 423);
        res.set("min-expires", String(this.settings.minExpiresS));
        tx.respond(res);
        return;
      }
    }
    for (const c of contacts) {
      const uri = c.uri.toString();
      const existing = this.store.list(aorUser).find((b) => b.contact === uri);
      if (existing !== void 0 && existing.callId === callId && existing.cseq > cseq) continue;
      const e = Math.min(parseExpires(c.params.get("expires") ?? void 0) ?? headerExpires ?? this.settings.defaultExpiresS, this.settings.maxExpiresS);
      if (e === 0) {
        this.store.remove(aorUser, uri);
        continue;
      }
      const q = Number(c.params.get("q") ?? "1");
      const binding = {
        aor: aorUser,
        contact: uri,
        expiresAt: now + e * 1e3,
        q: Number.isFinite(q) ? q : 1,
        callId,
        cseq,
        flow: { protocol: flow.protocol, address: flow.remoteAddress, port: flow.remotePort, ...flow.connectionId !== void 0 ? { connectionId: flow.connectionId } : {} },
        ...c.params.get("+sip.instance") ? { instance: c.params.get("+sip.instance") } : {},
        ...req.get("user-agent") !== void 0 ? { userAgent: req.get("user-agent") } : {}
      };
      const current = this.store.list(aorUser);
      if (existing === void 0 && current.length >= this.settings.maxContactsPerAor) {
        const oldest = current.reduce((a, b) => a.expiresAt < b.expiresAt ? a : b);
        this.store.remove(aorUser, oldest.contact);
      }
      this.store.put(binding);
      this.events.onRegistered?.(aorUser, binding);
    }
    tx.respond(this.ok(req, aorUser, now));
  }
  ok(req, aorUser, now) {
    const res = createResponse(req, 200);
    const bindings = this.lookup(aorUser, now);
    if (bindings.length > 0) res.set("contact", bindings.map((b) => `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1e3))}`));
    res.set("date", new Date(now).toUTCString());
    return res;
  }
};
function parseExpires(v) {
  if (v === void 0) return void 0;
  const t = v.trim();
  if (!/^[0-9]{1,10}$/.test(t)) return void 0;
  return Number(t);
}
function aorOf(req) {
  const uri = req.to.uri;
  if (uri instanceof SipUri && uri.user !== void 0) return unescapeUriPart(uri.user);
  return uriUserDigits(uri);
}

// src/directory/caller-id-source.ts
var NOT_A_NUMBER = /^(anonymous|unavailable|unknown|restricted|private|withheld)$/i;
function cleanCallingNumber(raw) {
  if (raw === null || raw === void 0) return null;
  let s = raw.trim().replace(/^(tel|sips?):/i, "");
  s = s.split(/[;@?]/)[0];
  try {
    s = decodeURIComponent(s);
  } catch {
    return null;
  }
  s = s.replace(/[\s\-.()]/g, "");
  if (s === "" || NOT_A_NUMBER.test(s)) return null;
  if (!/^\+?[0-9*#]+$/.test(s) || !/[0-9]/.test(s)) return null;
  return s;
}
function extractCallingNumber(input) {
  const fromUser = input.fromUser ?? null;
  const anonymousFrom = !!input.fromAnonymous || fromUser !== null && /^anonymous$/i.test(fromUser.trim());
  const withheld = anonymousFrom || !!input.privacyId;
  if (input.trusted) {
    const pai = cleanCallingNumber(input.paiUser);
    if (pai !== null) return { number: pai, source: "pai", withheld, notAvailable: false };
  }
  const from = anonymousFrom ? null : cleanCallingNumber(fromUser);
  if (from !== null) return { number: from, source: "from", withheld, notAvailable: false };
  return { number: null, source: null, withheld, notAvailable: true };
}

// src/sip/dialog/next-hop.ts
var DEFAULT_PORT = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };
var UnroutableUriError = class extends Error {
  constructor(uri) {
    super(`cannot route to "${uri}": not a SIP URI`);
    this.name = "UnroutableUriError";
  }
};
function destinationForUri(uri, fallbackProtocol = "udp") {
  if (!(uri instanceof SipUri)) throw new UnroutableUriError(uri.toString());
  let protocol;
  const t = uri.transport;
  if (uri.scheme === "sips") protocol = t === "ws" || t === "wss" ? "wss" : "tls";
  else if (t === "tcp" || t === "tls" || t === "ws" || t === "wss" || t === "udp") protocol = t;
  else protocol = fallbackProtocol;
  const maddr = uri.params.get("maddr");
  let host = maddr !== void 0 && maddr !== null ? maddr : uri.host;
  if (host.startsWith("[")) host = host.slice(1, -1);
  return { protocol, address: host, port: uri.port ?? DEFAULT_PORT[protocol] };
}
function nextHop(requestUri, routeSet, fallbackProtocol = "udp") {
  const first = routeSet[0];
  return destinationForUri(first !== void 0 ? first.uri : requestUri, fallbackProtocol);
}

// src/routing/router.ts
var Router = class {
  constructor(directory, registrar, settings) {
    this.directory = directory;
    this.registrar = registrar;
    this.settings = settings;
  }
  directory;
  registrar;
  settings;
  /**
   * A trunk is recognised by the source address AND port of its requests (its
   * peer or an alternate gateway). Host alone is not enough: phones and the
   * gateway may share a host (or loopback), and a trunk skips authentication.
   */
  trunkFor(flow) {
    const t = this.directory.findTrunkBySource(flow.remoteAddress, flow.remotePort);
    if (t === void 0) return void 0;
    const gws = [{ peerHost: t.peerHost, port: t.port }, ...t.alternates];
    return gws.some((g) => g.peerHost === flow.remoteAddress && g.port === flow.remotePort) ? t : void 0;
  }
  callerFromTrunk(trunk2, req) {
    const pai = req.get("p-asserted-identity");
    let paiUser = null;
    if (pai !== void 0) {
      const m = /<([^>]+)>/.exec(pai);
      paiUser = userPart(m !== null ? m[1] : pai.trim());
    }
    const from = req.from;
    const fromUser = from.uri instanceof SipUri || from.uri instanceof TelUri ? uriUserDigits(from.uri) ?? null : null;
    const fromAnonymous = from.uri instanceof SipUri && from.uri.host === "anonymous.invalid" || /anonymous/i.test(from.displayName ?? "");
    const privacy = (req.get("privacy") ?? "").toLowerCase();
    const src = extractCallingNumber({
      paiUser,
      fromUser,
      fromAnonymous,
      trusted: trunk2.trusted,
      privacyId: /\b(id|user|header)\b/.test(privacy)
    });
    const callingNumber = src.number === null ? null : globalise(src.number, trunk2.inboundRules, "calling");
    return { kind: "trunk", trunk: trunk2, callingNumber, withheld: src.withheld, displayName: from.displayName };
  }
  callerFromDevice(device2, username) {
    const lineId = device2.lines[0];
    const line2 = lineId === void 0 ? void 0 : this.lineById(lineId);
    return { kind: "device", device: device2, line: line2, username };
  }
  /** The dialled digits of a request (Request-URI user part or tel number). */
  dialled(req) {
    try {
      return uriUserDigits(req.uri);
    } catch {
      return void 0;
    }
  }
  route(caller, req) {
    const raw = this.dialled(req);
    if (raw === void 0 || raw === "") return { kind: "reject", status: 404, reason: "Not Found - no number in Request-URI" };
    let called;
    let css2;
    if (caller.kind === "trunk") {
      called = globalise(raw, caller.trunk.inboundRules, "called");
      css2 = caller.trunk.inboundCss === null ? [] : [caller.trunk.inboundCss];
    } else {
      called = raw;
      css2 = [caller.device.css, caller.line?.lineCss].filter((c) => c !== null && c !== void 0);
    }
    if (css2.length === 0) return { kind: "reject", status: 404, reason: "Not Found - no calling search space" };
    const match = this.directory.resolve(called, css2);
    if (match === void 0) return { kind: "reject", status: 404, reason: `Not Found - ${called} is not routable` };
    const target = match.target;
    if (target.kind === "feature") return { kind: "feature", id: target.id, arg: target.arg, called: match.calledNumber };
    if (target.kind === "line") {
      const line2 = this.lineById(target.id);
      if (line2 === void 0) return { kind: "reject", status: 404, reason: "Not Found - line missing" };
      const targets = this.lineTargets(line2, caller, req);
      return { kind: "targets", groups: [targets], called: line2.number, label: "line", line: line2 };
    }
    const trunk2 = this.directory.getTrunk(target.id);
    if (trunk2 === void 0) return { kind: "reject", status: 404, reason: "Not Found - trunk missing" };
    return { kind: "targets", groups: this.trunkTargets(trunk2, match.calledNumber, caller), called: match.calledNumber, label: "trunk" };
  }
  /** Every registered contact of every device on the line, rung in parallel. */
  lineTargets(line2, caller, _req) {
    const from = this.presentedIdentity(caller, void 0);
    const out = [];
    for (const device2 of this.directory.devicesOnLine(line2.id)) {
      if (device2.aor === null) continue;
      const aorUser = aorUserOf(device2.aor);
      if (aorUser === void 0) continue;
      for (const b of this.registrar.lookup(aorUser)) {
        const dest = bindingDestination(b);
        if (dest === void 0) continue;
        out.push({
          uri: b.contact,
          destination: dest,
          from,
          to: `"${escapeQuoted(line2.displayName)}" <sip:${line2.number}@${this.settings.domain}>`,
          ringTimeoutMs: (line2.noAnswerRingDurationS ?? 0) * 1e3 || this.settings.lineRingTimeoutMs,
          label: `device:${device2.id}`
        });
      }
    }
    return out;
  }
  /** One group per gateway of the trunk, in failover order. */
  trunkTargets(trunk2, calledNumber, caller) {
    const number = localise(calledNumber, trunk2.outboundRules, "called");
    const identity3 = this.callingNumberFor(caller);
    const callingOut = identity3 === void 0 ? void 0 : localise(identity3, trunk2.outboundRules, "calling");
    const from = callingOut === void 0 ? '"Anonymous" <sip:anonymous@anonymous.invalid>' : `<sip:${callingOut}@${this.settings.domain}>`;
    const headers = {};
    if (trunk2.trusted && callingOut !== void 0) headers["p-asserted-identity"] = `<sip:${callingOut}@${this.settings.domain}>`;
    const gateways = [{ peerHost: trunk2.peerHost, port: trunk2.port, transport: trunk2.transport }, ...trunk2.alternates];
    return gateways.map((gw) => [
      {
        uri: `sip:${number}@${gw.peerHost}:${gw.port}${gw.transport === "udp" ? "" : `;transport=${gw.transport}`}`,
        destination: { protocol: gw.transport, address: gw.peerHost, port: gw.port },
        from,
        to: `<sip:${number}@${gw.peerHost}>`,
        headers,
        label: `trunk:${trunk2.id}`
      }
    ]);
  }
  /** The number presented for this caller: a device shows its line's DID (CLI-05) or DN. */
  callingNumberFor(caller) {
    if (caller.kind === "trunk") return caller.withheld ? void 0 : caller.callingNumber ?? void 0;
    if (caller.line === void 0) return void 0;
    return caller.line.did ?? caller.line.number;
  }
  presentedIdentity(caller, _trunk) {
    if (caller.kind === "device") {
      const line2 = caller.line;
      if (line2 === void 0) return `<sip:${caller.username}@${this.settings.domain}>`;
      return `"${escapeQuoted(line2.displayName)}" <sip:${line2.number}@${this.settings.domain}>`;
    }
    if (caller.withheld || caller.callingNumber === null) return '"Anonymous" <sip:anonymous@anonymous.invalid>';
    const dn = caller.displayName === void 0 ? "" : `"${escapeQuoted(caller.displayName)}" `;
    return `${dn}<sip:${caller.callingNumber}@${this.settings.domain}>`;
  }
  lineById(id2) {
    return this.directory.lines.get(id2) ?? void 0;
  }
};
function bindingDestination(b) {
  const flowDest = { protocol: b.flow.protocol, address: b.flow.address, port: b.flow.port };
  if (b.flow.connectionId !== void 0) flowDest.connectionId = b.flow.connectionId;
  if (b.flow.protocol !== "udp") return flowDest;
  try {
    const d = destinationForUri(parseUri(b.contact), "udp");
    return d.address === b.flow.address ? d : flowDest;
  } catch {
    return flowDest;
  }
}
function userPart(uri) {
  const m = /^(?:sips?|tel):([^@;>]+)/i.exec(uri);
  return m === null ? null : m[1];
}
function aorUserOf(aor) {
  const m = /^sips?:([^@]+)@/i.exec(aor);
  return m === null ? void 0 : m[1];
}
function escapeQuoted(s) {
  return s.replace(/(["\\])/g, "\\$1");
}

// src/sip/auth/digest-server.ts
import { randomBytes as randomBytes7 } from "node:crypto";

// src/sip/auth/digest-header.ts
var MAX_DIGEST_HEADER_LENGTH = 8192;
var MAX_DIGEST_PARAMS = 64;
var DigestHeaderError = class extends Error {
  constructor(code, param, message) {
    super(message);
    this.code = code;
    this.param = param;
  }
  code;
  param;
  name = "DigestHeaderError";
};
var TOKEN_EXTRA = /* @__PURE__ */ new Set(["-", ".", "!", "%", "*", "_", "+", "`", "'", "~"]);
function isTokenChar(code) {
  return code >= 48 && code <= 57 || code >= 65 && code <= 90 || code >= 97 && code <= 122 || code < 128 && TOKEN_EXTRA.has(String.fromCharCode(code));
}
function isToken2(s) {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}
function isForbiddenControl(code) {
  return code < 32 && code !== 9 || code === 127;
}
function fail(code, message, param) {
  return { ok: false, error: param === void 0 ? { code, message } : { code, message, param } };
}
var Scanner = class {
  constructor(s) {
    this.s = s;
  }
  s;
  pos = 0;
  get done() {
    return this.pos >= this.s.length;
  }
  /**
   * Skip LWS (SP/HT and CRLF-folding). Returns false on a bare CR or LF, which
   * could only come from a header-injection attempt or a broken unfolder.
   */
  skipLws() {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9) {
        this.pos++;
      } else if (c === 13 || c === 10) {
        const n = this.foldLength(this.pos);
        if (n === 0) return false;
        this.pos += n;
      } else {
        break;
      }
    }
    return true;
  }
  /** Length of a line fold (CRLF / LF followed by SP/HT) at `i`, or 0. */
  foldLength(i) {
    const s = this.s;
    let j = i;
    if (s.charCodeAt(j) === 13) j++;
    if (s.charCodeAt(j) !== 10) return 0;
    j++;
    const next = s.charCodeAt(j);
    return next === 32 || next === 9 ? j - i : 0;
  }
  token() {
    const start = this.pos;
    while (this.pos < this.s.length && isTokenChar(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }
  /** Reads a quoted-string starting at the opening DQUOTE; null if malformed. */
  quoted() {
    const s = this.s;
    this.pos++;
    let out = "";
    let runStart = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 34) {
        out += s.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === 92) {
        out += s.slice(runStart, this.pos);
        const e = s.charCodeAt(this.pos + 1);
        if (Number.isNaN(e) || isForbiddenControl(e)) return null;
        out += s[this.pos + 1];
        this.pos += 2;
        runStart = this.pos;
        continue;
      }
      if (c === 13 || c === 10) {
        const n = this.foldLength(this.pos);
        if (n === 0) return null;
        out += s.slice(runStart, this.pos) + " ";
        this.pos += n;
        while (s.charCodeAt(this.pos) === 32 || s.charCodeAt(this.pos) === 9) this.pos++;
        runStart = this.pos;
        continue;
      }
      if (isForbiddenControl(c)) return null;
      this.pos++;
    }
    return null;
  }
};
function parseDigestParams(input) {
  if (typeof input !== "string") return fail("empty", "header value is not a string");
  if (input.length > MAX_DIGEST_HEADER_LENGTH) return fail("too-long", "header value too long");
  const sc = new Scanner(input);
  if (!sc.skipLws()) return fail("syntax", "bare CR/LF");
  if (sc.done) return fail("empty", "empty header value");
  const scheme = sc.token();
  if (scheme.toLowerCase() !== "digest") return fail("scheme", "scheme is not Digest");
  const afterScheme = sc.pos;
  if (!sc.skipLws()) return fail("syntax", "bare CR/LF");
  if (sc.done) return fail("missing-param", "no auth-params");
  if (sc.pos === afterScheme) return fail("syntax", "missing whitespace after scheme");
  const params = [];
  const seen = /* @__PURE__ */ new Set();
  for (; ; ) {
    if (!sc.skipLws()) return fail("syntax", "bare CR/LF");
    if (sc.done) break;
    if (input[sc.pos] === ",") {
      sc.pos++;
      continue;
    }
    const name = sc.token();
    if (name.length === 0) return fail("syntax", `unexpected character at ${sc.pos}`);
    if (!sc.skipLws()) return fail("syntax", "bare CR/LF");
    if (input[sc.pos] !== "=") return fail("syntax", `expected "=" after ${name}`, name);
    sc.pos++;
    if (!sc.skipLws()) return fail("syntax", "bare CR/LF");
    let value;
    let quoted;
    if (input[sc.pos] === '"') {
      const q = sc.quoted();
      if (q === null) return fail("syntax", `bad quoted-string for ${name}`, name);
      value = q;
      quoted = true;
    } else {
      value = sc.token();
      quoted = false;
      if (value.length === 0) return fail("syntax", `empty value for ${name}`, name);
    }
    const lower = name.toLowerCase();
    if (seen.has(lower)) return fail("duplicate-param", `duplicate param ${name}`, name);
    seen.add(lower);
    if (params.length >= MAX_DIGEST_PARAMS) return fail("too-many-params", "too many auth-params");
    params.push({ name, lower, value, quoted });
    if (!sc.skipLws()) return fail("syntax", "bare CR/LF");
    if (sc.done) break;
    if (input[sc.pos] !== ",") return fail("syntax", `expected "," after ${name}`, name);
    sc.pos++;
  }
  if (params.length === 0) return fail("missing-param", "no auth-params");
  return { ok: true, value: params };
}
var CREDENTIALS_KNOWN = /* @__PURE__ */ new Set([
  "username",
  "realm",
  "nonce",
  "uri",
  "response",
  "algorithm",
  "cnonce",
  "opaque",
  "qop",
  "nc"
]);
var NC_RE = /^[0-9a-fA-F]{8}$/;
function splitParams(raw, known) {
  const k = /* @__PURE__ */ new Map();
  const extra = /* @__PURE__ */ new Map();
  for (const p of raw) {
    if (known.has(p.lower)) k.set(p.lower, p);
    else extra.set(p.lower, { name: p.name, value: p.value, quoted: p.quoted });
  }
  return { known: k, extra };
}
function tokenValue(p) {
  if (p === void 0) return void 0;
  const v = p.quoted ? p.value.trim() : p.value;
  return isToken2(v) ? v : null;
}
function parseCredentials(value) {
  const r = parseDigestParams(value);
  if (!r.ok) return r;
  const { known, extra } = splitParams(r.value, CREDENTIALS_KNOWN);
  for (const name of ["username", "realm", "nonce", "uri", "response"]) {
    if (!known.has(name)) return fail("missing-param", `${name} is required`, name);
  }
  const get = (n) => known.get(n)?.value ?? "";
  const algorithm = tokenValue(known.get("algorithm"));
  if (algorithm === null) return fail("invalid-param", "algorithm must be a token", "algorithm");
  const qopTok = tokenValue(known.get("qop"));
  if (qopTok === null) return fail("invalid-param", "qop must be a token", "qop");
  const qop = qopTok?.toLowerCase();
  const ncRaw = known.get("nc");
  let nc;
  if (ncRaw !== void 0) {
    const v = ncRaw.value.trim();
    if (!NC_RE.test(v)) return fail("invalid-param", "nc must be 8 hex digits", "nc");
    nc = v;
  }
  const cnonce = known.get("cnonce")?.value;
  if (qop !== void 0) {
    if (cnonce === void 0) return fail("missing-param", "cnonce is required with qop", "cnonce");
    if (nc === void 0) return fail("missing-param", "nc is required with qop", "nc");
  }
  const opaque = known.get("opaque")?.value;
  const out = {
    username: get("username"),
    realm: get("realm"),
    nonce: get("nonce"),
    uri: get("uri"),
    response: get("response"),
    ...algorithm !== void 0 ? { algorithm } : {},
    ...cnonce !== void 0 ? { cnonce } : {},
    ...opaque !== void 0 ? { opaque } : {},
    ...qop !== void 0 ? { qop } : {},
    ...nc !== void 0 ? { nc } : {},
    params: extra
  };
  return { ok: true, value: out };
}
function quote2(name, value) {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] ?? "";
    const c = value.charCodeAt(i);
    if (isForbiddenControl(c)) {
      throw new DigestHeaderError("invalid-value", name, `control character in ${name}`);
    }
    out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
  }
  return `${out}"`;
}
function bare(name, value) {
  if (!isToken2(value)) throw new DigestHeaderError("invalid-value", name, `${name} must be a token`);
  return value;
}
var ParamWriter = class {
  parts = [];
  names = /* @__PURE__ */ new Set();
  add(name, rendered) {
    const lower = name.toLowerCase();
    if (this.names.has(lower)) throw new DigestHeaderError("duplicate-param", name, `duplicate ${name}`);
    this.names.add(lower);
    this.parts.push(`${name}=${rendered}`);
  }
  quoted(name, value) {
    if (value !== void 0) this.add(name, quote2(name, value));
  }
  token(name, value) {
    if (value !== void 0) this.add(name, bare(name, value));
  }
  extras(params) {
    for (const p of params.values()) {
      if (!isToken2(p.name)) throw new DigestHeaderError("invalid-name", p.name, "param name must be a token");
      const asToken = !p.quoted && isToken2(p.value);
      this.add(p.name, asToken ? p.value : quote2(p.name, p.value));
    }
  }
  toString() {
    return `Digest ${this.parts.join(", ")}`;
  }
};
function serializeChallenge(c) {
  const w = new ParamWriter();
  w.quoted("realm", c.realm);
  w.quoted("domain", c.domain);
  w.quoted("nonce", c.nonce);
  w.quoted("opaque", c.opaque);
  if (c.stale !== void 0) w.add("stale", c.stale ? "true" : "false");
  w.token("algorithm", c.algorithm);
  if (c.qop !== void 0) {
    if (c.qop.length === 0) throw new DigestHeaderError("invalid-value", "qop", "qop options must not be empty");
    for (const q of c.qop) bare("qop", q);
    w.quoted("qop", c.qop.join(","));
  }
  w.extras(c.params);
  return w.toString();
}
var EmptyParams = class extends Map {
  set(key2) {
    throw new TypeError(`NO_PARAMS is immutable (tried to set ${key2})`);
  }
};
var NO_PARAMS = new EmptyParams();

// src/sip/auth/digest.ts
import { createHash as createHash3, timingSafeEqual as timingSafeEqual3 } from "node:crypto";
function parseAlgorithm(raw) {
  if (raw === void 0) return "MD5";
  switch (raw.toUpperCase()) {
    case "MD5":
      return "MD5";
    case "MD5-SESS":
      return "MD5-sess";
    case "SHA-256":
      return "SHA-256";
    case "SHA-256-SESS":
      return "SHA-256-sess";
    default:
      return null;
  }
}
function hashOf(algorithm) {
  return algorithm === "MD5" || algorithm === "MD5-sess" ? "MD5" : "SHA-256";
}
function isSessionAlgorithm(algorithm) {
  return algorithm.endsWith("-sess");
}
function hexLength(hash) {
  return hash === "MD5" ? 32 : 64;
}
function isHexDigest(hash, s) {
  return s.length === hexLength(hash) && /^[0-9a-fA-F]+$/.test(s);
}
function digestHex(hash, data) {
  return createHash3(hash === "MD5" ? "md5" : "sha256").update(data).digest("hex");
}
function sessionHa1(algorithm, ha1, nonce, cnonce) {
  if (!isSessionAlgorithm(algorithm)) return ha1;
  return digestHex(hashOf(algorithm), `${ha1}:${nonce}:${cnonce}`);
}
function computeHa2(input) {
  const hash = hashOf(input.algorithm);
  if (input.qop === "auth-int") {
    const bodyHash = digestHex(hash, input.body ?? "");
    return digestHex(hash, `${input.method}:${input.uri}:${bodyHash}`);
  }
  return digestHex(hash, `${input.method}:${input.uri}`);
}
function computeResponse(input) {
  const hash = hashOf(input.algorithm);
  if (input.qop !== void 0) {
    return digestHex(
      hash,
      `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${input.ha2}`
    );
  }
  return digestHex(hash, `${input.ha1}:${input.nonce}:${input.ha2}`);
}
function constantTimeEqual(a, b) {
  const ha = createHash3("sha256").update(a).digest();
  const hb = createHash3("sha256").update(b).digest();
  return timingSafeEqual3(ha, hb) && a.length === b.length;
}
function parseNc(nc) {
  return /^[0-9a-fA-F]{8}$/.test(nc) ? Number.parseInt(nc, 16) : null;
}

// src/sip/auth/nonce.ts
import { createHmac, randomBytes as randomBytes6, timingSafeEqual as timingSafeEqual4 } from "node:crypto";
var TS_LEN = 8;
var RAND_LEN = 12;
var MAC_LEN = 16;
var RAW_LEN = TS_LEN + RAND_LEN + MAC_LEN;
var NONCE_RE = /^[A-Za-z0-9_-]{48}$/;
var MIN_NONCE_SECRET_BYTES = 16;
var MAX_NONCE_FUTURE_SKEW_MS = 5e3;
function secretBytes(secret) {
  const b = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
  if (b.length < MIN_NONCE_SECRET_BYTES) {
    throw new RangeError(`nonce secret must be at least ${MIN_NONCE_SECRET_BYTES} bytes`);
  }
  return b;
}
function mac(key2, context, head) {
  const ctx = Buffer.from(context, "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(ctx.length);
  return createHmac("sha256", key2).update("sip-digest-nonce-v1").update(len).update(ctx).update(head).digest().subarray(0, MAC_LEN);
}
function createNonce(secret, now, context = "") {
  if (!Number.isSafeInteger(Math.floor(now)) || now < 0) throw new RangeError("now must be a non-negative time in ms");
  const key2 = secretBytes(secret);
  const head = Buffer.alloc(TS_LEN + RAND_LEN);
  head.writeBigUInt64BE(BigInt(Math.floor(now)), 0);
  randomBytes6(RAND_LEN).copy(head, TS_LEN);
  return Buffer.concat([head, mac(key2, context, head)]).toString("base64url");
}
function inspectNonce(nonce, secret, now, ttlMs, context = "") {
  if (!Number.isFinite(now) || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new RangeError("now and ttlMs must be finite, ttlMs non-negative");
  }
  const key2 = secretBytes(secret);
  if (typeof nonce !== "string" || !NONCE_RE.test(nonce)) return { status: "invalid" };
  const raw = Buffer.from(nonce, "base64url");
  if (raw.length !== RAW_LEN) return { status: "invalid" };
  const head = raw.subarray(0, TS_LEN + RAND_LEN);
  if (!timingSafeEqual4(mac(key2, context, head), raw.subarray(TS_LEN + RAND_LEN))) return { status: "invalid" };
  const issuedAt = Number(head.readBigUInt64BE(0));
  if (issuedAt > now + MAX_NONCE_FUTURE_SKEW_MS) return { status: "invalid" };
  if (now - issuedAt > ttlMs) return { status: "stale", issuedAt };
  return { status: "valid", issuedAt };
}
var NonceCountTracker = class {
  entries = /* @__PURE__ */ new Map();
  floor = -1;
  maxEntries;
  constructor(options) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError("maxEntries must be a positive integer");
    }
    this.maxEntries = options.maxEntries;
  }
  get size() {
    return this.entries.size;
  }
  /**
   * Accept `nc` for `nonce` if it is strictly greater than any accepted
   * before; records it on success. Call only after the digest has verified,
   * so forged requests cannot burn counts.
   */
  accept(nonce, issuedAt, nc) {
    const e = this.entries.get(nonce);
    if (e === void 0) {
      if (issuedAt <= this.floor) return "forgotten";
      this.entries.set(nonce, { nc, issuedAt });
      this.evictOverflow();
      return "ok";
    }
    if (nc <= e.nc) return "replay";
    e.nc = nc;
    this.entries.delete(nonce);
    this.entries.set(nonce, e);
    return "ok";
  }
  /** Drop entries whose nonce is older than `ttlMs` (they would be stale anyway). */
  sweep(now, ttlMs) {
    for (const [k, e] of this.entries) {
      if (now - e.issuedAt > ttlMs) this.drop(k, e);
    }
  }
  evictOverflow() {
    while (this.entries.size > this.maxEntries) {
      const first = this.entries.entries().next();
      if (first.done === true) return;
      this.drop(first.value[0], first.value[1]);
    }
  }
  drop(key2, e) {
    this.entries.delete(key2);
    if (e.issuedAt > this.floor) this.floor = e.issuedAt;
  }
};

// src/sip/auth/digest-server.ts
var DEFAULT_TTL_MS = 5 * 6e4;
var DEFAULT_NC_ENTRIES = 1e4;
var DigestServer = class {
  realm;
  secret;
  ttlMs;
  algorithms;
  qop;
  allowNoQop;
  tracker;
  clock;
  /** Random per-instance HA1 used for unknown users so the work done is the same. */
  dummyHa1;
  lastSweep = 0;
  constructor(options) {
    this.realm = options.realm;
    this.secret = options.secret;
    this.ttlMs = options.nonceTtlMs ?? DEFAULT_TTL_MS;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs <= 0) throw new RangeError("nonceTtlMs must be positive");
    this.algorithms = [...options.algorithms ?? ["SHA-256", "MD5"]];
    if (this.algorithms.length === 0) throw new RangeError("at least one algorithm is required");
    const qop = options.qop ?? "auth";
    this.qop = typeof qop === "string" ? [qop] : [...qop];
    this.allowNoQop = options.allowNoQop ?? false;
    if (this.qop.length === 0 && !this.allowNoQop) throw new RangeError("no qop offered and allowNoQop is false");
    const nc = options.nonceCount ?? { maxEntries: DEFAULT_NC_ENTRIES };
    this.tracker = nc === false ? void 0 : new NonceCountTracker(nc);
    this.clock = options.now ?? Date.now;
    this.dummyHa1 = {
      MD5: randomBytes7(16).toString("hex"),
      "SHA-256": randomBytes7(32).toString("hex")
    };
    this.challenge();
  }
  /** Header values for a 401 WWW-Authenticate / 407 Proxy-Authenticate, one per algorithm. */
  challenge(options = {}, now = this.clock()) {
    const nonce = this.issueNonce(now);
    return this.algorithms.map(
      (algorithm) => serializeChallenge({
        realm: this.realm,
        nonce,
        ...options.stale === true ? { stale: true } : {},
        algorithm,
        ...this.qop.length > 0 ? { qop: this.qop } : {},
        params: NO_PARAMS
      })
    );
  }
  /** A fresh nonce, bound to this realm. */
  issueNonce(now = this.clock()) {
    return createNonce(this.secret, now, this.realm);
  }
  verify(input) {
    const now = input.now ?? this.clock();
    this.maybeSweep(now);
    const picked = this.pickCredentials(input.credentialsValue);
    if (typeof picked === "string") return this.failure(picked, now);
    const cred = picked;
    const who = { username: cred.username, uri: cred.uri };
    if (cred.params.get("userhash")?.value.toLowerCase() === "true") return this.failure("malformed", now, who);
    const algorithm = parseAlgorithm(cred.algorithm);
    if (algorithm === null || !this.algorithms.includes(algorithm)) return this.failure("algorithm", now, who);
    let qop;
    let nc;
    if (cred.qop !== void 0) {
      if (!this.qop.some((q) => q === cred.qop)) return this.failure("malformed", now, who);
      qop = cred.qop === "auth-int" ? "auth-int" : "auth";
      const n = parseNc(cred.nc ?? "");
      if (n === null || n === 0) return this.failure("malformed", now, who);
      nc = n;
    } else if (!this.allowNoQop) {
      return this.failure("malformed", now, who);
    }
    if (isSessionAlgorithm(algorithm) && cred.cnonce === void 0) return this.failure("malformed", now, who);
    if (input.requestUri !== void 0 && input.requestUri !== cred.uri) return this.failure("uri-mismatch", now, who);
    const nonceInfo = inspectNonce(cred.nonce, this.secret, now, this.ttlMs, this.realm);
    if (nonceInfo.status === "invalid" || nonceInfo.issuedAt === void 0) {
      return this.failure("invalid-nonce", now, who);
    }
    const hash = hashOf(algorithm);
    const stored = input.lookupHa1(cred.username, cred.realm, hash);
    const known = typeof stored === "string" && isHexDigest(hash, stored);
    const baseHa1 = known ? stored.toLowerCase() : this.dummyHa1[hash];
    const ha1 = sessionHa1(algorithm, baseHa1, cred.nonce, cred.cnonce ?? "");
    const ha2 = computeHa2({
      algorithm,
      method: input.method,
      uri: cred.uri,
      ...qop !== void 0 ? { qop } : {},
      ...input.body !== void 0 ? { body: input.body } : {}
    });
    const expected = qop !== void 0 ? computeResponse({ algorithm, ha1, nonce: cred.nonce, ha2, qop, nc: cred.nc ?? "", cnonce: cred.cnonce ?? "" }) : computeResponse({ algorithm, ha1, nonce: cred.nonce, ha2 });
    const match = constantTimeEqual(expected, cred.response.toLowerCase());
    if (!known) return this.failure("unknown-user", now, who);
    if (!match) return this.failure("bad-response", now, who);
    if (nonceInfo.status === "stale") return this.failure("stale", now, who, true);
    if (this.tracker !== void 0 && nc !== void 0) {
      if (this.tracker.accept(cred.nonce, nonceInfo.issuedAt, nc) !== "ok") {
        return this.failure("stale", now, who, true);
      }
    }
    return {
      ok: true,
      username: cred.username,
      realm: cred.realm,
      uri: cred.uri,
      algorithm,
      ...qop !== void 0 ? { qop } : {},
      ...nc !== void 0 ? { nc } : {}
    };
  }
  /** Finds the credentials for our realm among one or more header values. */
  pickCredentials(value) {
    if (value === void 0 || value === null) return "missing";
    const values = typeof value === "string" ? [value] : value;
    if (values.length === 0) return "missing";
    let sawMalformed = false;
    for (const v of values) {
      if (typeof v !== "string") {
        sawMalformed = true;
        continue;
      }
      const r = parseCredentials(v);
      if (!r.ok) {
        sawMalformed = true;
        continue;
      }
      if (r.value.realm === this.realm) return r.value;
    }
    return sawMalformed ? "malformed" : "unknown-realm";
  }
  failure(reason, now, who = {}, stale = false) {
    return {
      ok: false,
      reason,
      stale,
      challenge: this.challenge({ stale }, now),
      ...who.username !== void 0 ? { username: who.username } : {},
      ...who.uri !== void 0 ? { uri: who.uri } : {}
    };
  }
  maybeSweep(now) {
    if (this.tracker === void 0 || now - this.lastSweep < this.ttlMs) return;
    this.lastSweep = now;
    this.tracker.sweep(now, this.ttlMs);
  }
};

// src/sip/auth/lockout.ts
import { createHash as createHash4 } from "node:crypto";
var UNLOCKED = Object.freeze({ locked: false });
var MAX_KEY_LENGTH = 128;
function keyOf(raw) {
  return raw.length <= MAX_KEY_LENGTH ? raw : `#${createHash4("sha256").update(raw).digest("base64url")}`;
}
var ScopeState = class {
  constructor(threshold, windowMs, durationMs2, maxEntries, maxLocks) {
    this.threshold = threshold;
    this.windowMs = windowMs;
    this.durationMs = durationMs2;
    this.maxEntries = maxEntries;
    this.maxLocks = maxLocks;
  }
  threshold;
  windowMs;
  durationMs;
  maxEntries;
  maxLocks;
  /** key → failure timestamps in the window (at most `threshold`), LRU by last failure. */
  failures = /* @__PURE__ */ new Map();
  /** key → lock end; insertion order is expiry order since duration is constant. */
  locks = /* @__PURE__ */ new Map();
  lockedUntil(key2, now) {
    const until = this.locks.get(key2);
    if (until === void 0) return void 0;
    if (until > now) return until;
    this.locks.delete(key2);
    return void 0;
  }
  /** Records a failure; returns the lock end if this failure triggered (or hit) a lock. */
  fail(key2, now) {
    const existing = this.lockedUntil(key2, now);
    if (existing !== void 0) return existing;
    const cutoff = now - this.windowMs;
    const list2 = (this.failures.get(key2) ?? []).filter((t) => t > cutoff);
    list2.push(now);
    this.failures.delete(key2);
    if (list2.length >= this.threshold) {
      const until = now + this.durationMs;
      this.locks.delete(key2);
      this.locks.set(key2, until);
      trim(this.locks, this.maxLocks);
      return until;
    }
    this.failures.set(key2, list2);
    trim(this.failures, this.maxEntries);
    return void 0;
  }
  clearFailures(key2) {
    this.failures.delete(key2);
  }
  sweep(now) {
    for (const [k, until] of this.locks) {
      if (until > now) break;
      this.locks.delete(k);
    }
    const cutoff = now - this.windowMs;
    for (const [k, list2] of this.failures) {
      const last = list2[list2.length - 1] ?? Number.NEGATIVE_INFINITY;
      if (last > cutoff) break;
      this.failures.delete(k);
    }
  }
  get sizes() {
    return { failures: this.failures.size, locks: this.locks.size };
  }
};
function trim(map, cap) {
  while (map.size > cap) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}
var AuthLockout = class {
  ip;
  user;
  clock;
  resetIpOnSuccess;
  constructor(options) {
    const { threshold, windowMs, durationMs: durationMs2 } = options;
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError("threshold must be an integer >= 1");
    if (!(windowMs > 0) || !(durationMs2 > 0)) throw new RangeError("windowMs and durationMs must be positive");
    const maxEntries = options.maxEntries ?? 1e4;
    const maxLocks = options.maxLocks ?? maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || !Number.isInteger(maxLocks) || maxLocks < 1) {
      throw new RangeError("maxEntries and maxLocks must be integers >= 1");
    }
    this.ip = new ScopeState(threshold, windowMs, durationMs2, maxEntries, maxLocks);
    this.user = new ScopeState(threshold, windowMs, durationMs2, maxEntries, maxLocks);
    this.clock = options.now ?? Date.now;
    this.resetIpOnSuccess = options.resetIpOnSuccess ?? false;
  }
  /** Lock state for a request from `ip` claiming `user` (user optional: e.g. no credentials yet). */
  check(ip, user2) {
    const now = this.clock();
    const ipUntil = this.ip.lockedUntil(keyOf(ip), now);
    if (ipUntil !== void 0) return { locked: true, scope: "ip", until: ipUntil };
    if (user2 !== void 0) {
      const userUntil = this.user.lockedUntil(keyOf(user2), now);
      if (userUntil !== void 0) return { locked: true, scope: "user", until: userUntil };
    }
    return UNLOCKED;
  }
  isLocked(ip, user2) {
    return this.check(ip, user2).locked;
  }
  /**
   * Count an authentication failure (bad response / unknown user). Returns
   * the lock state afterwards. Do not count a first request without
   * credentials or a stale nonce: those are normal protocol steps.
   */
  recordFailure(ip, user2) {
    const now = this.clock();
    const ipUntil = this.ip.fail(keyOf(ip), now);
    const userUntil = user2 === void 0 ? void 0 : this.user.fail(keyOf(user2), now);
    if (ipUntil !== void 0) return { locked: true, scope: "ip", until: ipUntil };
    if (userUntil !== void 0) return { locked: true, scope: "user", until: userUntil };
    return UNLOCKED;
  }
  /** Clears the user's failure history (and the IP's if configured). Active locks stay. */
  recordSuccess(ip, user2) {
    if (user2 !== void 0) this.user.clearFailures(keyOf(user2));
    if (this.resetIpOnSuccess) this.ip.clearFailures(keyOf(ip));
  }
  /** Drop expired locks and failure histories that left the window. */
  sweep(now = this.clock()) {
    this.ip.sweep(now);
    this.user.sweep(now);
  }
  /** Entry counts, for metrics and tests. */
  get size() {
    return { ip: this.ip.sizes, user: this.user.sizes };
  }
};

// src/sip/message/validate.ts
var MANDATORY = ["from", "to", "call-id", "cseq"];
var NAMES = { from: "From", to: "To", "call-id": "Call-ID", cseq: "CSeq" };
function bad(reason, routable = true) {
  return { status: 400, reason: `Bad Request - ${reason}`, routable };
}
function errText(e) {
  return e instanceof SipSyntaxError ? e.message : "malformed header";
}
function validateMessage(msg) {
  if (!msg.has("via")) return bad("missing Via", false);
  let via;
  try {
    via = msg.topVia;
  } catch (e) {
    return bad(`Via: ${errText(e)}`, false);
  }
  if (msg.version !== "SIP/2.0") return { status: 505, reason: "Version Not Supported", routable: true };
  if (via.protocol !== "SIP/2.0") return bad("unsupported Via protocol", false);
  for (const key2 of MANDATORY) {
    if (!msg.has(key2)) return bad(`missing ${NAMES[key2]}`);
  }
  for (const key2 of MANDATORY) {
    if (msg.fieldCount(key2) > 1) return bad(`more than one ${NAMES[key2]}`);
  }
  try {
    void msg.from;
  } catch (e) {
    return bad(`From: ${errText(e)}`);
  }
  try {
    void msg.to;
  } catch (e) {
    return bad(`To: ${errText(e)}`);
  }
  try {
    void msg.cseq;
  } catch (e) {
    return bad(`CSeq: ${errText(e)}`);
  }
  if (msg.callId.trim() === "") return bad("empty Call-ID");
  try {
    void msg.vias;
  } catch (e) {
    return bad(`Via: ${errText(e)}`);
  }
  if (msg.parseError !== void 0) return bad(msg.parseError);
  if (msg.isRequest()) return validateRequestOnly(msg);
  return void 0;
}
function validateRequestOnly(req) {
  if (req.cseq.method !== req.method) return bad("CSeq method does not match the request method");
  let mf;
  try {
    mf = req.maxForwards;
  } catch (e) {
    return bad(errText(e));
  }
  try {
    const uri = req.uri;
    if (uri instanceof AbsoluteUri) return { status: 416, reason: "Unsupported URI Scheme", routable: true };
    if (uri instanceof SipUri && uri.headers.size > 0) return bad("Request-URI: headers are not allowed in a Request-URI");
  } catch (e) {
    return bad(`Request-URI: ${errText(e)}`);
  }
  if (mf === 0 && req.method !== "ACK") return { status: 483, reason: "Too Many Hops", routable: true };
  if (req.method === "INVITE" || req.method === "SUBSCRIBE" || req.method === "REFER" || req.method === "REGISTER") {
    try {
      void req.contacts;
    } catch (e) {
      return bad(`Contact: ${errText(e)}`);
    }
  }
  return void 0;
}

// src/sip/transport/types.ts
var TransportError = class extends Error {
  constructor(message, destination, code = "send-failed", options) {
    super(message, options);
    this.destination = destination;
    this.code = code;
    this.name = "TransportError";
  }
  destination;
  code;
};

// src/sip/transaction/context.ts
function errorOf(e) {
  return e instanceof Error ? e : new Error(String(e));
}

// src/sip/transaction/transaction.ts
function stop(timer) {
  if (timer !== void 0) clearTimeout(timer);
  return void 0;
}
var Transaction = class {
  constructor(id2, ctx, reliable, initial, table, side) {
    this.id = id2;
    this.ctx = ctx;
    this.reliable = reliable;
    this.table = table;
    this.side = side;
    this._state = initial;
  }
  id;
  ctx;
  reliable;
  table;
  side;
  _state;
  get state() {
    return this._state;
  }
  get terminated() {
    return this._state === "terminated";
  }
  /** Explicit, validated state change: a transition the machine does not declare is a bug. */
  transition(to) {
    const from = this._state;
    if (!this.table[from].includes(to)) {
      throw new Error(`${this.constructor.name} ${this.id}: invalid transition ${from} -> ${to}`);
    }
    this._state = to;
  }
  /** Enter Terminated: clear every timer, leave the layer's map, tell the TU. */
  terminate() {
    if (this._state === "terminated") return;
    this.transition("terminated");
    this.clearTimers();
    this.ctx.release(this.side, this.id, this);
    this.notifyTerminated();
  }
  /** Layer shutdown: stop timers and forget, without any TU callback. */
  dispose() {
    if (this._state === "terminated") return;
    this._state = "terminated";
    this.clearTimers();
    this.ctx.release(this.side, this.id, this);
  }
};

// src/sip/transaction/client-transaction.ts
var ClientTransactionBase = class extends Transaction {
  constructor(ctx, id2, request, destination, user2, initial, table) {
    super(id2, ctx, ctx.transport.isReliable(destination.protocol), initial, table, "client");
    this.request = request;
    this.destination = destination;
    this.user = user2;
    this.sentTo = destination;
  }
  request;
  destination;
  user;
  last;
  /**
   * Where the request really went: equal to `destination` unless the transport
   * moved an oversized UDP request to TCP (§18.1.1). ACK and CANCEL follow it.
   */
  sentTo;
  get lastResponse() {
    return this.last;
  }
  // ------------------------------------------------------------------ sending
  sendRequest(first) {
    const sent2 = this.ctx.transport.send(this.request, this.sentTo);
    if (first && this.destination.allowTcpSwitch === true) sent2.then(this.requestSent, this.requestFailed);
    else sent2.catch(this.requestFailed);
  }
  /** Send an ACK for a non-2xx final; its loss is repaired by the next response retransmission. */
  sendAck(ack) {
    this.ctx.transport.send(ack, this.sentTo).catch(this.ackFailed);
  }
  /**
   * §18.1.1: the transport may carry an oversized UDP request over TCP and says
   * so by rewriting the top Via. From then on the transaction runs the reliable
   * rules: no retransmissions (§17.1.1.2 "SHOULD NOT start timer A").
   */
  requestSent = () => {
    if (this.reliable || this.terminated) return;
    let transport;
    try {
      transport = this.request.topVia.transport;
    } catch {
      return;
    }
    if (transport === "TCP" && this.destination.protocol === "udp") {
      this.reliable = true;
      this.sentTo = { ...this.destination, protocol: "tcp", allowTcpSwitch: false };
      this.stopRetransmissions();
    }
  };
  /**
   * §17.1.4: "If a fatal transport error is reported by the transport layer
   * (generally, due to fatal ICMP errors in UDP or connection failures in TCP),
   * the condition MUST be treated as a 503 (Service Unavailable) status code."
   * §8.1.3.1 / §17.1.4: the client transaction SHOULD inform the TU and SHOULD
   * transition directly to the "Terminated" state.
   */
  requestFailed = (e) => {
    if (this.terminated || !this.awaitingResponse()) {
      this.ctx.logger?.debug({ tx: this.id, err: errorOf(e).message }, "late send failure ignored");
      return;
    }
    this.ctx.stats.transportErrors++;
    this.notifyTransportError(errorOf(e));
    this.terminate();
  };
  ackFailed = (e) => {
    this.ctx.logger?.debug({ tx: this.id, err: errorOf(e).message }, "ACK send failed");
  };
  // ------------------------------------------------------------ TU callbacks
  deliver(response) {
    this.last = response;
    try {
      this.user.onResponse(response, this);
    } catch (e) {
      this.ctx.tuError(e, "onResponse");
    }
  }
  notifyTimeout() {
    this.ctx.stats.timeouts++;
    try {
      this.user.onTimeout?.(this);
    } catch (e) {
      this.ctx.tuError(e, "onTimeout");
    }
  }
  notifyTransportError(error) {
    try {
      this.user.onTransportError?.(error, this);
    } catch (e) {
      this.ctx.tuError(e, "onTransportError");
    }
  }
  notifyTerminated() {
    try {
      this.user.onTerminated?.(this);
    } catch (e) {
      this.ctx.tuError(e, "onTerminated");
    }
  }
};

// src/sip/transaction/requests.ts
function topViaText(request) {
  const v = request.get("via");
  if (v === void 0) throw new Error("request without Via");
  return v;
}
function copyCommon(target, invite) {
  target.set("via", topViaText(invite));
  target.set("max-forwards", "70");
  const from = invite.get("from");
  if (from !== void 0) target.set("from", from);
}
function copyRoutes(target, invite) {
  const routes = invite.getAll("route");
  if (routes.length > 0) target.set("route", routes);
}
function buildAckForNon2xx(invite, response) {
  const ack = new SipRequest("ACK", invite.uriString);
  copyCommon(ack, invite);
  const to = response.get("to");
  if (to !== void 0) ack.set("to", to);
  ack.set("call-id", invite.callId);
  ack.set("cseq", `${invite.cseq.seq} ACK`);
  copyRoutes(ack, invite);
  return ack;
}
function buildCancel(invite, reason) {
  const cancel = new SipRequest("CANCEL", invite.uriString);
  copyCommon(cancel, invite);
  const to = invite.get("to");
  if (to !== void 0) cancel.set("to", to);
  cancel.set("call-id", invite.callId);
  cancel.set("cseq", `${invite.cseq.seq} CANCEL`);
  copyRoutes(cancel, invite);
  if (reason !== void 0 && reason !== "") cancel.set("reason", reason);
  return cancel;
}

// src/sip/transaction/invite-client-transaction.ts
var TRANSITIONS = {
  calling: ["proceeding", "completed", "accepted", "terminated"],
  proceeding: ["completed", "accepted", "terminated"],
  completed: ["terminated"],
  accepted: ["terminated"],
  trying: [],
  // non-INVITE only
  terminated: []
};
function fireTimerA(tx) {
  tx.timerAFired();
}
function fireTimerB(tx) {
  tx.timerBFired();
}
function fireTimerC(tx) {
  tx.timerCFired();
}
function fireTimerD(tx) {
  tx.timerDFired();
}
function fireTimerM(tx) {
  tx.timerMFired();
}
var InviteClientTransaction = class extends ClientTransactionBase {
  timerA;
  timerB;
  timerC;
  timerD;
  timerM;
  /** Current Timer A interval: T1, 2*T1, 4*T1 ... (no T2 cap for INVITE). */
  intervalA;
  /** Timer C fired once and a CANCEL went out; the next expiry is a timeout. */
  timerCExpired = false;
  /** The ACK for the non-2xx final, re-sent for each retransmission of that final. */
  ack;
  /** cancel() was called before any provisional response arrived (§9.1 deferral). */
  cancelPending = false;
  cancelReason;
  cancelTx;
  constructor(ctx, id2, request, destination, user2) {
    super(ctx, id2, request, destination, user2, "calling", TRANSITIONS);
    this.intervalA = ctx.timers.t1;
  }
  /** True once a CANCEL has been requested (sent or still deferred). */
  get cancelRequested() {
    return this.cancelPending || this.cancelTx !== void 0;
  }
  /** The CANCEL's own client transaction once it has been sent. */
  get cancelTransaction() {
    return this.cancelTx;
  }
  start() {
    this.sendRequest(true);
    if (!this.reliable) this.timerA = setTimeout(fireTimerA, this.intervalA, this);
    this.timerB = setTimeout(fireTimerB, this.ctx.timers.b, this);
  }
  /**
   * §9.1: "If no provisional response has been received, the CANCEL request
   * MUST NOT be sent; rather, the client MUST wait for the arrival of a
   * provisional response before sending the request. If the original request
   * has generated a final response, the CANCEL SHOULD NOT be sent."
   * Returns the CANCEL's client transaction when sent now (or earlier).
   */
  cancel(reason) {
    if (this.cancelTx !== void 0) return this.cancelTx;
    switch (this._state) {
      case "calling":
        this.cancelPending = true;
        this.cancelReason = reason;
        return void 0;
      case "proceeding":
        return this.sendCancel(reason);
      default:
        return void 0;
    }
  }
  receiveResponse(response) {
    const status = response.status;
    switch (this._state) {
      case "calling":
      case "proceeding":
        if (status < 200) {
          if (this._state === "calling") {
            this.transition("proceeding");
            this.timerA = stop(this.timerA);
            this.timerB = stop(this.timerB);
            this.startTimerC();
          } else if (status > 100) {
            this.startTimerC();
          }
          this.deliver(response);
          if (this.cancelPending && this._state === "proceeding") this.sendCancel(this.cancelReason);
          return;
        }
        this.stopCallingTimers();
        this.cancelPending = false;
        if (status < 300) {
          this.transition("accepted");
          this.timerM = setTimeout(fireTimerM, this.ctx.timers.m, this);
          this.deliver(response);
          return;
        }
        this.transition("completed");
        this.ack = buildAckForNon2xx(this.request, response);
        this.sendAck(this.ack);
        if (!this.reliable) this.timerD = setTimeout(fireTimerD, this.ctx.timers.d, this);
        this.deliver(response);
        if (this.reliable) this.terminate();
        return;
      case "completed":
        if (status >= 300 && this.ack !== void 0) {
          this.ctx.stats.absorbedRetransmissions++;
          this.ctx.stats.retransmissions++;
          this.sendAck(this.ack);
        }
        return;
      case "accepted":
        if (status >= 200 && status < 300) this.deliver(response);
        return;
      default:
        return;
    }
  }
  // ------------------------------------------------------------------ timers
  /** @internal */
  timerAFired() {
    this.timerA = void 0;
    if (this._state !== "calling" || this.reliable) return;
    this.ctx.stats.retransmissions++;
    this.sendRequest(false);
    this.intervalA *= 2;
    this.timerA = setTimeout(fireTimerA, this.intervalA, this);
  }
  /** @internal */
  timerBFired() {
    this.timerB = void 0;
    if (this._state !== "calling") return;
    this.cancelPending = false;
    this.notifyTimeout();
    this.terminate();
  }
  /** @internal */
  timerCFired() {
    this.timerC = void 0;
    if (this._state !== "proceeding") return;
    if (!this.timerCExpired) {
      this.timerCExpired = true;
      this.cancel();
      this.timerC = setTimeout(fireTimerC, this.ctx.timers.b, this);
      return;
    }
    this.notifyTimeout();
    this.terminate();
  }
  /** @internal */
  timerDFired() {
    this.timerD = void 0;
    if (this._state === "completed") this.terminate();
  }
  /** @internal */
  timerMFired() {
    this.timerM = void 0;
    if (this._state === "accepted") this.terminate();
  }
  // --------------------------------------------------------------- internals
  startTimerC() {
    const c = this.ctx.timers.c;
    if (c === 0 || this.timerCExpired) return;
    stop(this.timerC);
    this.timerC = setTimeout(fireTimerC, c, this);
  }
  sendCancel(reason) {
    this.cancelPending = false;
    this.cancelReason = void 0;
    const cancelTx = this.ctx.startCancel(buildCancel(this.request, reason), this.sentTo);
    this.cancelTx = cancelTx;
    return cancelTx;
  }
  stopCallingTimers() {
    this.timerA = stop(this.timerA);
    this.timerB = stop(this.timerB);
    this.timerC = stop(this.timerC);
  }
  stopRetransmissions() {
    this.timerA = stop(this.timerA);
  }
  awaitingResponse() {
    return this._state === "calling" || this._state === "proceeding";
  }
  clearTimers() {
    this.stopCallingTimers();
    this.timerD = stop(this.timerD);
    this.timerM = stop(this.timerM);
  }
};

// src/sip/transaction/server-transaction.ts
var ServerTransactionBase = class extends Transaction {
  constructor(ctx, id2, request, flow, initial, table) {
    super(id2, ctx, ctx.transport.isReliable(flow.protocol), initial, table, "server");
    this.request = request;
    this.flow = flow;
  }
  request;
  flow;
  last;
  isCancelled = false;
  get lastResponse() {
    return this.last;
  }
  get cancelled() {
    return this.isCancelled;
  }
  /** @internal The layer matched a CANCEL to this transaction (§9.2). */
  markCancelled() {
    this.isCancelled = true;
  }
  sendResponse(response) {
    this.ctx.transport.sendResponse(response, this.flow).catch(this.responseFailed);
  }
  /** Re-send the last response because a retransmitted request was absorbed. */
  resendLast() {
    this.ctx.stats.absorbedRetransmissions++;
    if (this.last === void 0) return;
    this.ctx.stats.retransmissions++;
    this.sendResponse(this.last);
  }
  /** Reject responses no state machine could accept: a status outside 100-699. */
  checkStatus(response) {
    const s = response.status;
    if (!(s >= 100 && s <= 699) || !Number.isInteger(s)) throw new RangeError(`invalid response status ${s}`);
  }
  ignored(response) {
    this.ctx.logger?.debug({ tx: this.id, state: this._state, status: response.status }, "response from TU ignored in this state");
  }
  /**
   * §17.2.4: "If those should all fail, based on the definition of failure in
   * Section 17.1.4, the server transaction SHOULD inform the TU that a failure
   * has occurred, and SHOULD transition to the terminated state."
   */
  responseFailed = (e) => {
    if (this.terminated) {
      this.ctx.logger?.debug({ tx: this.id, err: errorOf(e).message }, "late response send failure ignored");
      return;
    }
    this.ctx.stats.transportErrors++;
    try {
      this.ctx.tu.onServerTransportError?.(errorOf(e), this);
    } catch (err) {
      this.ctx.tuError(err, "onServerTransportError");
    }
    this.terminate();
  };
  notifyTerminated() {
  }
};

// src/sip/transaction/invite-server-transaction.ts
var TRANSITIONS2 = {
  proceeding: ["completed", "accepted", "terminated"],
  completed: ["confirmed", "terminated"],
  confirmed: ["terminated"],
  accepted: ["terminated"],
  trying: [],
  // non-INVITE only
  terminated: []
};
function ignoreFailure() {
}
function fireTimerG(tx) {
  tx.timerGFired();
}
function fireTimerH(tx) {
  tx.timerHFired();
}
function fireTimerI(tx) {
  tx.timerIFired();
}
function fireTimerL(tx) {
  tx.timerLFired();
}
var InviteServerTransaction = class extends ServerTransactionBase {
  timerG;
  timerH;
  timerI;
  timerL;
  intervalG;
  constructor(ctx, id2, request, flow) {
    super(ctx, id2, request, flow, "proceeding", TRANSITIONS2);
    this.intervalG = ctx.timers.t1;
  }
  /**
   * §17.2.1: "When a server transaction is constructed for a request, it enters
   * the "Proceeding" state. The server transaction MUST generate a 100 (Trying)
   * response unless it knows that the TU will generate a provisional or final
   * response within 200 ms, in which case it MAY generate a 100 (Trying) response."
   * Choice: the 100 Trying is sent immediately, before the TU sees the INVITE.
   * It costs one small datagram per call but stops the peer's Timer A at once
   * and needs no extra 200 ms timer per INVITE.
   */
  start() {
    const trying = createResponse(this.request, 100);
    this.last = trying;
    this.sendResponse(trying);
  }
  /** The To tag of the last response sent (what the ACK of a non-2xx final carries). */
  get responseToTag() {
    const last = this.last;
    if (last === void 0 || last.status === 100) return void 0;
    try {
      return last.to.tag;
    } catch {
      return void 0;
    }
  }
  receiveRequest(_request) {
    switch (this._state) {
      case "proceeding":
        this.resendLast();
        return;
      case "completed":
        this.resendLast();
        return;
      case "confirmed":
      case "accepted":
        this.ctx.stats.absorbedRetransmissions++;
        return;
      default:
        return;
    }
  }
  /**
   * An ACK matched this transaction (§17.2.3). Returns true when the transaction
   * consumed it; false means it is an ACK for a 2xx and belongs to the TU.
   */
  receiveAck(_ack) {
    switch (this._state) {
      case "completed":
        this.transition("confirmed");
        this.timerG = stop(this.timerG);
        this.timerH = stop(this.timerH);
        if (this.reliable) this.terminate();
        else this.timerI = setTimeout(fireTimerI, this.ctx.timers.i, this);
        return true;
      case "confirmed":
        this.ctx.stats.absorbedRetransmissions++;
        return true;
      case "accepted":
        return false;
      case "proceeding":
        this.ctx.logger?.debug({ tx: this.id }, "ACK before a final response dropped");
        return true;
      default:
        return false;
    }
  }
  respond(response) {
    this.checkStatus(response);
    const status = response.status;
    switch (this._state) {
      case "proceeding":
        if (status < 200) {
          this.last = response;
          this.sendResponse(response);
          return;
        }
        if (status < 300) {
          this.transition("accepted");
          this.last = response;
          this.timerL = setTimeout(fireTimerL, this.ctx.timers.l, this);
          this.sendResponse(response);
          return;
        }
        this.transition("completed");
        this.last = response;
        if (!this.reliable) this.timerG = setTimeout(fireTimerG, this.intervalG, this);
        this.timerH = setTimeout(fireTimerH, this.ctx.timers.h, this);
        this.sendResponse(response);
        return;
      case "accepted":
        if (status >= 200 && status < 300) {
          this.last = response;
          this.sendResponse(response);
        } else this.ignored(response);
        return;
      case "terminated":
        if (status >= 200 && status < 300 && this.last !== void 0 && this.last.status < 300 && this.last.status >= 200) {
          this.ctx.transport.sendResponse(response, this.flow).catch(ignoreFailure);
        } else this.ignored(response);
        return;
      default:
        this.ignored(response);
        return;
    }
  }
  // ------------------------------------------------------------------ timers
  /** @internal */
  timerGFired() {
    this.timerG = void 0;
    if (this._state !== "completed" || this.last === void 0) return;
    this.ctx.stats.retransmissions++;
    this.sendResponse(this.last);
    this.intervalG = Math.min(this.intervalG * 2, this.ctx.timers.t2);
    this.timerG = setTimeout(fireTimerG, this.intervalG, this);
  }
  /** @internal */
  timerHFired() {
    this.timerH = void 0;
    if (this._state !== "completed") return;
    this.ctx.stats.serverTimeouts++;
    this.terminate();
    try {
      this.ctx.tu.onServerTimeout?.(this);
    } catch (e) {
      this.ctx.tuError(e, "onServerTimeout");
    }
  }
  /** @internal */
  timerIFired() {
    this.timerI = void 0;
    if (this._state === "confirmed") this.terminate();
  }
  /** @internal */
  timerLFired() {
    this.timerL = void 0;
    if (this._state === "accepted") this.terminate();
  }
  clearTimers() {
    this.timerG = stop(this.timerG);
    this.timerH = stop(this.timerH);
    this.timerI = stop(this.timerI);
    this.timerL = stop(this.timerL);
  }
};

// src/sip/transaction/matching.ts
var SEP = "";
function isRfc3261Branch(branch) {
  return branch !== void 0 && branch.startsWith(MAGIC_COOKIE);
}
function clientKey(branch, method) {
  return branch + SEP + method;
}
function serverKey(via, branch, method) {
  const port2 = via.port;
  return branch + SEP + via.host.toLowerCase() + (port2 === void 0 ? "" : ":" + port2) + SEP + method;
}
function rfc2543Key(request, method) {
  return "2543" + SEP + request.uriString + SEP + (request.from.tag ?? "") + SEP + request.callId + SEP + request.cseq.seq + SEP + method + SEP + request.topVia.toString();
}

// src/sip/transaction/non-invite-client-transaction.ts
var TRANSITIONS3 = {
  trying: ["proceeding", "completed", "terminated"],
  proceeding: ["completed", "terminated"],
  completed: ["terminated"],
  calling: [],
  // INVITE only
  accepted: [],
  // INVITE only
  terminated: []
};
function fireTimerE(tx) {
  tx.timerEFired();
}
function fireTimerF(tx) {
  tx.timerFFired();
}
function fireTimerK(tx) {
  tx.timerKFired();
}
var NonInviteClientTransaction = class extends ClientTransactionBase {
  timerE;
  timerF;
  timerK;
  intervalE;
  constructor(ctx, id2, request, destination, user2) {
    super(ctx, id2, request, destination, user2, "trying", TRANSITIONS3);
    this.intervalE = ctx.timers.t1;
  }
  start() {
    this.timerF = setTimeout(fireTimerF, this.ctx.timers.f, this);
    this.sendRequest(true);
    if (!this.reliable) this.timerE = setTimeout(fireTimerE, this.intervalE, this);
  }
  /** §9.1: "a CANCEL ... SHOULD NOT be sent to cancel a non-INVITE request". No-op. */
  cancel(_reason) {
    return void 0;
  }
  receiveResponse(response) {
    const status = response.status;
    switch (this._state) {
      case "trying":
      case "proceeding":
        if (status < 200) {
          if (this._state === "trying") this.transition("proceeding");
          this.deliver(response);
          return;
        }
        this.transition("completed");
        this.timerE = stop(this.timerE);
        this.timerF = stop(this.timerF);
        if (!this.reliable) this.timerK = setTimeout(fireTimerK, this.ctx.timers.k, this);
        this.deliver(response);
        if (this.reliable) this.terminate();
        return;
      case "completed":
        this.ctx.stats.absorbedRetransmissions++;
        return;
      default:
        return;
    }
  }
  // ------------------------------------------------------------------ timers
  /** @internal */
  timerEFired() {
    this.timerE = void 0;
    if (this.reliable) return;
    if (this._state === "trying") {
      this.intervalE = Math.min(this.intervalE * 2, this.ctx.timers.t2);
    } else if (this._state === "proceeding") {
      this.intervalE = this.ctx.timers.t2;
    } else {
      return;
    }
    this.ctx.stats.retransmissions++;
    this.sendRequest(false);
    this.timerE = setTimeout(fireTimerE, this.intervalE, this);
  }
  /** @internal */
  timerFFired() {
    this.timerF = void 0;
    if (this._state !== "trying" && this._state !== "proceeding") return;
    this.notifyTimeout();
    this.terminate();
  }
  /** @internal */
  timerKFired() {
    this.timerK = void 0;
    if (this._state === "completed") this.terminate();
  }
  // --------------------------------------------------------------- internals
  stopRetransmissions() {
    this.timerE = stop(this.timerE);
  }
  awaitingResponse() {
    return this._state === "trying" || this._state === "proceeding";
  }
  clearTimers() {
    this.timerE = stop(this.timerE);
    this.timerF = stop(this.timerF);
    this.timerK = stop(this.timerK);
  }
};

// src/sip/transaction/non-invite-server-transaction.ts
var TRANSITIONS4 = {
  trying: ["proceeding", "completed", "terminated"],
  proceeding: ["completed", "terminated"],
  completed: ["terminated"],
  confirmed: [],
  // INVITE only
  accepted: [],
  // INVITE only
  terminated: []
};
function fireTimerJ(tx) {
  tx.timerJFired();
}
var NonInviteServerTransaction = class extends ServerTransactionBase {
  timerJ;
  constructor(ctx, id2, request, flow) {
    super(ctx, id2, request, flow, "trying", TRANSITIONS4);
  }
  /**
   * §17.2.2: "The state machine is initialized in the "Trying" state and is
   * passed a request other than INVITE or ACK when initialized. This request is
   * passed up to the TU." Nothing is sent until the TU responds.
   */
  start() {
  }
  receiveRequest(_request) {
    switch (this._state) {
      case "trying":
        this.ctx.stats.absorbedRetransmissions++;
        return;
      case "proceeding":
        this.resendLast();
        return;
      case "completed":
        this.resendLast();
        return;
      default:
        return;
    }
  }
  respond(response) {
    this.checkStatus(response);
    const status = response.status;
    switch (this._state) {
      case "trying":
      case "proceeding":
        this.last = response;
        if (status < 200) {
          if (this._state === "trying") this.transition("proceeding");
          this.sendResponse(response);
          return;
        }
        this.transition("completed");
        this.sendResponse(response);
        if (this.reliable) this.terminate();
        else this.timerJ = setTimeout(fireTimerJ, this.ctx.timers.j, this);
        return;
      default:
        this.ignored(response);
        return;
    }
  }
  /** @internal */
  timerJFired() {
    this.timerJ = void 0;
    if (this._state === "completed") this.terminate();
  }
  clearTimers() {
    this.timerJ = stop(this.timerJ);
  }
};

// src/sip/transaction/timers.ts
var DEFAULT_TIMER_SETTINGS = {
  t1Ms: 500,
  t2Ms: 4e3,
  t4Ms: 5e3,
  timerCMs: 18e4
};
function timerValues(settings) {
  const { t1Ms: t1, t2Ms: t2, t4Ms: t4 } = settings;
  if (!(t1 > 0) || !(t2 >= t1) || !(t4 > 0)) {
    throw new RangeError(`invalid SIP timer settings: T1=${t1} T2=${t2} T4=${t4} (need T1 > 0, T2 >= T1, T4 > 0)`);
  }
  const c = settings.timerCMs ?? DEFAULT_TIMER_SETTINGS.timerCMs;
  if (!(c >= 0)) throw new RangeError(`invalid Timer C: ${c}`);
  const t64 = 64 * t1;
  return { t1, t2, t4, b: t64, c, d: t64, f: t64, h: t64, i: t4, j: t64, k: t4, l: t64, m: t64 };
}

// src/sip/transaction/transaction-layer.ts
var VIA_TRANSPORT = { udp: "UDP", tcp: "TCP", tls: "TLS", ws: "WS", wss: "WSS" };
var CANCEL_USER = { onResponse() {
} };
function sent() {
  return void 0;
}
function newStats() {
  return {
    clientTransactions: 0,
    serverTransactions: 0,
    retransmissions: 0,
    absorbedRetransmissions: 0,
    timeouts: 0,
    serverTimeouts: 0,
    transportErrors: 0,
    requestsReceived: 0,
    responsesReceived: 0,
    rejectedRequests: 0,
    droppedRequests: 0,
    droppedResponses: 0,
    strayResponses: 0,
    cancelsMatched: 0,
    cancelsUnmatched: 0,
    parseFailures: 0,
    tuErrors: 0
  };
}
function sameTag(a, b) {
  return (a ?? "") === (b ?? "");
}
var TransactionLayer = class {
  constructor(transport, tu, options) {
    this.transport = transport;
    this.tu = tu;
    this.timers = timerValues(options.timers);
    this.logger = options.logger;
    this.ctx = {
      transport,
      timers: this.timers,
      stats: this.stats,
      tu,
      logger: this.logger,
      release: (side, key2, tx) => this.release(side, key2, tx),
      startCancel: (cancel, destination) => this.startClient(cancel, destination, CANCEL_USER, cancel.topVia.branch ?? ""),
      tuError: (error, where) => this.tuError(error, where)
    };
    transport.on("message", this.onMessage);
    transport.on("parseFailure", this.onParseFailure);
  }
  transport;
  tu;
  /** Counters since construction (a live object: read it any time). */
  stats = newStats();
  timers;
  clients = /* @__PURE__ */ new Map();
  servers = /* @__PURE__ */ new Map();
  ctx;
  logger;
  closed = false;
  // ================================================================ TU → wire
  /**
   * Send a request in a new client transaction (INVITE → §17.1.1, others →
   * §17.1.2). Adds the top Via per the rule in the file comment. Throws for ACK
   * (use sendAck), after close(), for a branch already in use, and when the
   * transport has no listening point for the destination's protocol.
   */
  sendRequest(request, destination, user2) {
    if (this.closed) throw new Error("transaction layer is closed");
    if (request.method === "ACK") throw new TypeError("ACK has no client transaction: use sendAck() (\xA717.1.1.3)");
    const branch = this.ensureVia(request, destination);
    return this.startClient(request, destination, user2, branch);
  }
  /**
   * Send the ACK for a 2xx (§13.2.2.4): not part of any transaction, built by the
   * dialog layer, sent once per call (the dialog re-sends it for each 2xx
   * retransmission). A new branch is added unless the caller set one. Resolves
   * with the transport error, if any; never rejects.
   */
  sendAck(ack, destination) {
    if (ack.method !== "ACK") throw new TypeError(`sendAck() needs an ACK, got ${ack.method}`);
    return this.sendStateless(ack, destination);
  }
  sendStateless(message, target) {
    try {
      if ("remoteAddress" in target) {
        if (message.isRequest()) throw new TypeError("a request needs a Destination, not a Flow");
        return this.transport.sendResponse(message, target).then(sent, errorOf);
      }
      if (message.isRequest()) this.ensureVia(message, target);
      return this.transport.send(message, target).then(sent, errorOf);
    } catch (e) {
      return Promise.resolve(errorOf(e));
    }
  }
  /** Live transaction counts (tests check they return to zero). */
  sizes() {
    return { clientTransactions: this.clients.size, serverTransactions: this.servers.size };
  }
  /**
   * Stop: every timer is cleared and every transaction forgotten without TU
   * callbacks; inbound messages are ignored from now on. The transport is not
   * closed (the layer does not own it).
   */
  close() {
    if (this.closed) return;
    this.closed = true;
    for (const tx of this.clients.values()) tx.dispose();
    for (const tx of this.servers.values()) tx.dispose();
    this.clients.clear();
    this.servers.clear();
  }
  // ================================================================ wire → TU
  onMessage = (inbound) => {
    if (this.closed) return;
    const message = inbound.message;
    try {
      if (message.isRequest()) this.receiveRequest(message, inbound.flow);
      else this.receiveResponse(message, inbound.flow);
    } catch (e) {
      this.logger?.warn({ err: errorOf(e).message }, "inbound message handling failed");
    }
  };
  onParseFailure = () => {
    this.stats.parseFailures++;
  };
  receiveResponse(response, flow) {
    this.stats.responsesReceived++;
    if (validateMessage(response) !== void 0 || response.status > 699) {
      this.stats.droppedResponses++;
      return;
    }
    const vias = response.vias;
    if (vias.length !== 1) {
      this.stats.droppedResponses++;
      return;
    }
    const branch = vias[0].branch;
    const tx = branch === void 0 ? void 0 : this.clients.get(clientKey(branch, response.cseq.method));
    if (tx !== void 0) {
      tx.receiveResponse(response);
      return;
    }
    this.stats.strayResponses++;
    try {
      this.tu.onStrayResponse?.(response, flow);
    } catch (e) {
      this.tuError(e, "onStrayResponse");
    }
  }
  receiveRequest(request, flow) {
    this.stats.requestsReceived++;
    const problem = validateMessage(request);
    if (problem !== void 0) {
      this.reject(request, flow, problem);
      return;
    }
    const method = request.method;
    if (method === "ACK") return this.receiveAck(request, flow);
    if (method === "CANCEL") return this.receiveCancel(request, flow);
    const via = request.topVia;
    const branch = via.branch;
    const rfc3261 = isRfc3261Branch(branch);
    let key2 = rfc3261 ? serverKey(via, branch, method) : rfc2543Key(request, method);
    const existing = this.servers.get(key2);
    if (existing !== void 0) {
      if (rfc3261 || sameTag(request.to.tag, existing.request.to.tag)) {
        existing.receiveRequest(request);
        return;
      }
      key2 += "" + (request.to.tag ?? "");
      const other = this.servers.get(key2);
      if (other !== void 0) {
        other.receiveRequest(request);
        return;
      }
    }
    const tx = method === "INVITE" ? new InviteServerTransaction(this.ctx, key2, request, flow) : new NonInviteServerTransaction(this.ctx, key2, request, flow);
    this.servers.set(key2, tx);
    this.stats.serverTransactions++;
    tx.start();
    try {
      this.tu.onRequest(request, tx, flow);
    } catch (e) {
      this.tuError(e, "onRequest");
      if (tx.state === "trying" || tx.state === "proceeding") tx.respond(createResponse(request, 500, void 0, newTag()));
    }
  }
  /**
   * §17.2.3: an ACK matches the INVITE server transaction whose final response it
   * acknowledges (absorbed there, §17.2.1); an ACK for a 2xx has its own branch
   * (§17.1.1.3) or meets a transaction in "Accepted" (RFC 6026): it goes to the
   * TU with no transaction.
   */
  receiveAck(ack, flow) {
    const via = ack.topVia;
    const branch = via.branch;
    const rfc3261 = isRfc3261Branch(branch);
    const tx = this.servers.get(rfc3261 ? serverKey(via, branch, "INVITE") : rfc2543Key(ack, "INVITE"));
    if (tx instanceof InviteServerTransaction && (rfc3261 || sameTag(ack.to.tag, tx.responseToTag))) {
      if (tx.receiveAck(ack)) return;
    }
    try {
      this.tu.onRequest(ack, void 0, flow);
    } catch (e) {
      this.tuError(e, "onRequest(ACK)");
    }
  }
  /**
   * §9.2: "The CANCEL method requests that the TU at the server side cancel a
   * pending transaction. The TU determines the transaction to be cancelled by
   * taking the CANCEL request, and then assuming that the request method is
   * anything but CANCEL or ACK and applying the transaction matching procedures
   * of Section 17.2.3." Only INVITE transactions are looked for (a CANCEL of a
   * non-INVITE request is pointless, §9.1, and answered 481).
   * The CANCEL itself gets its own non-INVITE server transaction so that its
   * retransmissions are absorbed and answered with the same response.
   */
  receiveCancel(cancel, flow) {
    const via = cancel.topVia;
    const branch = via.branch;
    const rfc3261 = isRfc3261Branch(branch);
    const key2 = rfc3261 ? serverKey(via, branch, "CANCEL") : rfc2543Key(cancel, "CANCEL");
    const again = this.servers.get(key2);
    if (again !== void 0) {
      again.receiveRequest(cancel);
      return;
    }
    const found = this.servers.get(rfc3261 ? serverKey(via, branch, "INVITE") : rfc2543Key(cancel, "INVITE"));
    const invite = found instanceof InviteServerTransaction && (rfc3261 || sameTag(cancel.to.tag, found.request.to.tag)) ? found : void 0;
    const tx = new NonInviteServerTransaction(this.ctx, key2, cancel, flow);
    this.servers.set(key2, tx);
    this.stats.serverTransactions++;
    tx.start();
    if (invite === void 0) {
      this.stats.cancelsUnmatched++;
      tx.respond(createResponse(cancel, 481, void 0, newTag()));
      return;
    }
    this.stats.cancelsMatched++;
    tx.respond(createResponse(cancel, 200, void 0, invite.responseToTag ?? newTag()));
    if (invite.state !== "proceeding" || invite.cancelled) return;
    invite.markCancelled();
    try {
      this.tu.onCancel(invite, cancel);
    } catch (e) {
      this.tuError(e, "onCancel");
    }
  }
  /**
   * An invalid request: answered statelessly with the problem's status and a
   * reason naming the problem when a response can be routed (§8.2, §16.3:
   * 400/416/483/505), else dropped. An ACK is never answered (§17).
   */
  reject(request, flow, problem) {
    if (!problem.routable || request.method === "ACK") {
      this.stats.droppedRequests++;
      return;
    }
    let response;
    try {
      response = createResponse(request, problem.status, problem.reason);
    } catch {
      this.stats.droppedRequests++;
      return;
    }
    try {
      if (response.has("to") && response.to.tag === void 0) response.to.tag = newTag();
    } catch {
    }
    this.stats.rejectedRequests++;
    this.logger?.debug({ status: problem.status, reason: problem.reason, from: flow.remoteAddress }, "invalid request rejected");
    this.transport.sendResponse(response, flow).catch(this.rejectFailed);
  }
  rejectFailed = (e) => {
    this.logger?.debug({ err: errorOf(e).message }, "stateless error response not sent");
  };
  // ================================================================ internals
  startClient(request, destination, user2, branch) {
    const method = request.method;
    const key2 = clientKey(branch, method);
    if (this.clients.has(key2)) throw new Error(`a ${method} client transaction with branch ${branch} already exists`);
    const tx = method === "INVITE" ? new InviteClientTransaction(this.ctx, key2, request, destination, user2) : new NonInviteClientTransaction(this.ctx, key2, request, destination, user2);
    this.clients.set(key2, tx);
    this.stats.clientTransactions++;
    tx.start();
    return tx;
  }
  /** Apply the Via rule (file comment); returns the branch of the top Via. */
  ensureVia(request, destination) {
    let top;
    if (request.has("via")) {
      top = request.topVia;
      const branch2 = top.branch;
      if (isRfc3261Branch(branch2)) return branch2;
    }
    const lp = this.transport.listeningPoint(destination.protocol);
    if (lp === void 0) throw new TransportError(`no listening point for ${destination.protocol}`, destination);
    const host = lp.address.includes(":") && !lp.address.startsWith("[") ? `[${lp.address}]` : lp.address;
    const branch = newBranch();
    const params = /* @__PURE__ */ new Map([
      ["branch", branch],
      ["rport", null]
    ]);
    const via = new Via(VIA_TRANSPORT[destination.protocol], host, lp.port, params);
    if (top !== void 0) request.vias[0] = via;
    else request.prepend("via", via.toString());
    return branch;
  }
  release(side, key2, tx) {
    const map = side === "client" ? this.clients : this.servers;
    if (map.get(key2) === tx) map.delete(key2);
  }
  tuError(error, where) {
    this.stats.tuErrors++;
    this.logger?.warn({ err: errorOf(error).message, where }, "transaction user callback threw");
  }
};

// src/sip/transport/transport-layer.ts
import { randomBytes as randomBytes8 } from "node:crypto";

// src/sip/transport/address.ts
import { isIP } from "node:net";
var DEFAULT_PORTS = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };
var ALL_PROTOCOLS = ["udp", "tcp", "tls", "ws", "wss"];
function normalizeAddress(address) {
  let a = address.trim();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  a = a.toLowerCase();
  if (a.startsWith("::ffff:") && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}
function addressFamily(address) {
  const f = isIP(normalizeAddress(address));
  return f === 4 ? 4 : f === 6 ? 6 : 0;
}
function isWildcard(address) {
  const a = normalizeAddress(address);
  return a === "0.0.0.0" || a === "::" || a === "";
}
function remoteKey(protocol, address, port2) {
  return `${protocol} ${normalizeAddress(address)} ${port2}`;
}
function hostPort(address, port2) {
  return addressFamily(address) === 6 ? `[${normalizeAddress(address)}]:${port2}` : `${address}:${port2}`;
}

// src/sip/transport/connection-table.ts
var ConnectionTable = class {
  constructor(maxInbound, maxInboundPerIp) {
    this.maxInbound = maxInbound;
    this.maxInboundPerIp = maxInboundPerIp;
  }
  maxInbound;
  maxInboundPerIp;
  byId = /* @__PURE__ */ new Map();
  /** remote key → connections, oldest first (the newest open one is used). */
  byRemote = /* @__PURE__ */ new Map();
  keysOf = /* @__PURE__ */ new Map();
  inboundPerIp = /* @__PURE__ */ new Map();
  inboundTotal = 0;
  get size() {
    return this.byId.size;
  }
  all() {
    return [...this.byId.values()];
  }
  add(conn) {
    this.byId.set(conn.id, conn);
    this.index(conn, remoteKey(conn.protocol, conn.flow.remoteAddress, conn.flow.remotePort));
  }
  /** Also find `conn` under another name (the host name an outbound connection was opened to). */
  index(conn, key2) {
    const keys = this.keysOf.get(conn) ?? [];
    if (keys.includes(key2)) return;
    keys.push(key2);
    this.keysOf.set(conn, keys);
    const list2 = this.byRemote.get(key2);
    if (list2 === void 0) this.byRemote.set(key2, [conn]);
    else list2.push(conn);
  }
  remove(conn) {
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
    for (const key2 of this.keysOf.get(conn) ?? []) {
      const list2 = this.byRemote.get(key2);
      if (list2 === void 0) continue;
      const rest = list2.filter((c) => c !== conn);
      if (rest.length === 0) this.byRemote.delete(key2);
      else this.byRemote.set(key2, rest);
    }
    this.keysOf.delete(conn);
  }
  has(conn) {
    return this.byId.get(conn.id) === conn;
  }
  get(id2) {
    const c = this.byId.get(id2);
    return c?.isOpen === true ? c : void 0;
  }
  find(protocol, address, port2) {
    const list2 = this.byRemote.get(remoteKey(protocol, address, port2));
    if (list2 === void 0) return void 0;
    for (let i = list2.length - 1; i >= 0; i--) if (list2[i].isOpen) return list2[i];
    return void 0;
  }
  /** Reserve an inbound slot; undefined when the source IP or the total is at its cap. */
  admit(remoteAddress) {
    const ip = normalizeAddress(remoteAddress);
    const n = this.inboundPerIp.get(ip) ?? 0;
    if (this.inboundTotal >= this.maxInbound || n >= this.maxInboundPerIp) return void 0;
    this.inboundPerIp.set(ip, n + 1);
    this.inboundTotal++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inboundTotal--;
      const left = (this.inboundPerIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.inboundPerIp.delete(ip);
      else this.inboundPerIp.set(ip, left);
    };
  }
  /** Connections idle for longer than `idleMs` and not retained. */
  idle(now, idleMs) {
    const out = [];
    for (const c of this.byId.values()) if (c.holds === 0 && now - c.lastActivity >= idleMs) out.push(c);
    return out;
  }
};

// src/sip/transport/logger.ts
var noop = () => void 0;
var noopLogger = { debug: noop, info: noop, warn: noop, error: noop };
function errorInfo(e) {
  return { err: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}
function callSafely(logger, what, fn) {
  try {
    const r = fn();
    if (r instanceof Promise) r.catch((e) => logger.error(errorInfo(e), `${what} handler rejected`));
  } catch (e) {
    logger.error(errorInfo(e), `${what} handler threw`);
  }
}

// src/sip/transport/options.ts
var MiB = 1024 * 1024;
function positive(name, v, dflt, allowZero = false) {
  if (v === void 0) return dflt;
  if (!Number.isFinite(v) || v < 0 || !allowZero && v === 0) throw new RangeError(`transport option ${name} must be a ${allowZero ? "non-negative" : "positive"} number`);
  return v;
}
function resolveOptions(o) {
  const u = o.udp ?? {};
  const c = o.connections ?? {};
  const maxMessageSize = positive("maxMessageSize", o.maxMessageSize, 65535);
  return {
    maxMessageSize,
    udp: {
      recvBufferSize: positive("udp.recvBufferSize", u.recvBufferSize, 4 * MiB),
      sendBufferSize: positive("udp.sendBufferSize", u.sendBufferSize, 4 * MiB),
      maxDatagramSize: Math.min(positive("udp.maxDatagramSize", u.maxDatagramSize, 65507), 65507),
      mtuThreshold: positive("udp.mtuThreshold", u.mtuThreshold, 1300)
    },
    connections: {
      idleTimeoutMs: positive("connections.idleTimeoutMs", c.idleTimeoutMs, 3e5, true),
      connectTimeoutMs: positive("connections.connectTimeoutMs", c.connectTimeoutMs, 1e4),
      handshakeTimeoutMs: positive("connections.handshakeTimeoutMs", c.handshakeTimeoutMs, 1e4),
      maxConnections: positive("connections.maxConnections", c.maxConnections, 1e4),
      maxConnectionsPerIp: positive("connections.maxConnectionsPerIp", c.maxConnectionsPerIp, 100),
      maxWriteBuffer: positive("connections.maxWriteBuffer", c.maxWriteBuffer, 4 * MiB)
    },
    tlsClient: o.tlsClient ?? {},
    wsPath: o.wsPath ?? "/"
  };
}

// src/sip/transport/response-route.ts
function responseDestination(response, requestFlow) {
  const via = response.topVia;
  const protocol = requestFlow.protocol;
  const address = normalizeAddress(via.received ?? via.host);
  if (protocol !== "udp") {
    const dest = { protocol, address, port: via.port ?? DEFAULT_PORTS[protocol] };
    if (requestFlow.connectionId !== void 0) dest.connectionId = requestFlow.connectionId;
    return dest;
  }
  const rport = via.rport;
  if (typeof rport === "number" && Number.isInteger(rport) && rport > 0) return { protocol, address, port: rport };
  if (rport === null) return { protocol, address: normalizeAddress(requestFlow.remoteAddress), port: requestFlow.remotePort };
  return { protocol, address, port: via.port ?? DEFAULT_PORTS.udp };
}

// src/sip/transport/stats.ts
function zero() {
  return {
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    parseFailures: 0,
    sendFailures: 0,
    keepalives: 0,
    openConnections: 0,
    connectionsAccepted: 0,
    connectionsRejected: 0,
    connectionsReaped: 0
  };
}
var StatsCounters = class {
  p;
  constructor() {
    const p = {};
    for (const proto of ALL_PROTOCOLS) p[proto] = zero();
    this.p = p;
  }
  snapshot() {
    const out = {};
    for (const proto of ALL_PROTOCOLS) out[proto] = { ...this.p[proto] };
    return out;
  }
};

// src/sip/transport/tcp-transport.ts
import net from "node:net";

// src/sip/parser/parse-message.ts
import { isAscii } from "node:buffer";
var SipParseError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "SipParseError";
  }
};
function findHeaderEnd(buf, from = 0) {
  const e = blockEnd(buf, from);
  if (e === void 0) return void 0;
  const lf = e.textEnd - 1;
  return { headEnd: lf > from && buf[lf - 1] === 13 ? lf - 1 : lf, bodyStart: e.bodyStart };
}
function parseMessage(buf, options = {}) {
  const datagram = options.datagram === true;
  const len = buf.length;
  let start = 0;
  while (start < len && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= len) throw new SipParseError("empty message");
  const head = scanHead(buf, start, len, datagram);
  if (head === void 0) throw new SipParseError("incomplete header block");
  if (head.message === void 0) throw head.error;
  const msg = head.message;
  if (head.clConflict) msg.parseError ??= "conflicting Content-Length headers";
  const bodyStart = head.bodyStart;
  const clRaw = head.contentLength;
  const available = len - bodyStart;
  if (clRaw === void 0) {
    if (datagram) {
      if (available > 0) msg.adoptBody(buf, bodyStart, len);
    } else if (available > 0) msg.parseError ??= "missing Content-Length on a stream transport";
  } else {
    const cl = contentLengthValue(clRaw);
    if (cl === void 0) {
      msg.parseError ??= `invalid Content-Length "${clRaw.slice(0, 16)}"`;
      if (datagram && available > 0) msg.adoptBody(buf, bodyStart, len);
    } else if (cl > available) {
      msg.parseError ??= `Content-Length ${cl} larger than the ${available} bytes received`;
      if (available > 0) msg.adoptBody(buf, bodyStart, len);
    } else if (cl > 0) {
      msg.adoptBody(buf, bodyStart, bodyStart + cl);
    }
  }
  return msg;
}
function contentLengthValue(text3) {
  const n = text3.length;
  if (n === 0 || n > 10) return void 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = text3.charCodeAt(i);
    if (c < 48 || c > 57) return void 0;
    v = v * 10 + (c - 48);
  }
  return v;
}
var COMMON = [
  "Via",
  "v",
  "Call-ID",
  "i",
  "From",
  "f",
  "To",
  "t",
  "CSeq",
  "Contact",
  "m",
  "Max-Forwards",
  "Content-Type",
  "c",
  "Content-Length",
  "l",
  "Allow",
  "Supported",
  "k",
  "User-Agent",
  "Server",
  "Route",
  "Record-Route",
  "Require",
  "Session-Expires",
  "x",
  "Min-SE",
  "P-Asserted-Identity",
  "P-Preferred-Identity",
  "Expires",
  "Authorization",
  "WWW-Authenticate",
  "Proxy-Authorization",
  "Proxy-Authenticate",
  "Accept",
  "Accept-Encoding",
  "Accept-Language",
  "Subject",
  "s",
  "Event",
  "o",
  "RSeq",
  "RAck",
  "Refer-To",
  "r",
  "Referred-By",
  "b",
  "Replaces",
  "Privacy",
  "Reason",
  "Diversion",
  "Allow-Events",
  "u",
  "Subscription-State",
  "Date",
  "Timestamp",
  "Organization",
  "Priority",
  "Content-Disposition",
  "Content-Encoding",
  "e",
  "Unsupported",
  "Proxy-Require",
  "Path",
  "Service-Route",
  "Min-Expires",
  "Retry-After",
  "Warning",
  "Call-Info",
  "Alert-Info",
  "History-Info",
  "Identity",
  "y",
  "MIME-Version",
  "Content-Language",
  "Error-Info",
  "In-Reply-To",
  "Reply-To",
  "Accept-Contact",
  "a",
  "Reject-Contact",
  "j",
  "Request-Disposition",
  "d",
  "Security-Client",
  "Security-Server",
  "Security-Verify",
  "P-Access-Network-Info",
  "P-Charging-Vector",
  "P-Called-Party-ID",
  "P-Visited-Network-ID",
  "SIP-ETag",
  "SIP-If-Match",
  "Authentication-Info",
  "Proxy-Authentication-Info",
  "Content-Transfer-Encoding",
  "X-Asterisk-HangupCause"
];
var KNOWN = new Array(128 * 32);
for (const spelling of COMMON) {
  const slot = spelling.charCodeAt(0) << 5 | spelling.length;
  (KNOWN[slot] ??= []).push({ key: normalizeHeaderName(spelling), spelling, codes: Array.from(spelling, (ch) => ch.charCodeAt(0)) });
}
function knownName(text3, ns, ne) {
  const len = ne - ns;
  if (len > 31) return void 0;
  const first = text3.charCodeAt(ns);
  if (first >= 128) return void 0;
  const bucket = KNOWN[first << 5 | len];
  if (bucket === void 0) return void 0;
  next: for (let i = 0; i < bucket.length; i++) {
    const k = bucket[i];
    const codes = k.codes;
    for (let j = 1; j < len; j++) if (text3.charCodeAt(ns + j) !== codes[j]) continue next;
    return k;
  }
  return void 0;
}
function isTokenRange(text3, from, to) {
  for (let i = from; i < to; i++) {
    const c = text3.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}
var LF_LF = Buffer.from("\n\n", "latin1");
var LF_CR_LF = Buffer.from("\n\r\n", "latin1");
function blockEnd(buf, from) {
  const a = buf.indexOf(LF_CR_LF, from);
  const b = buf.indexOf(LF_LF, from);
  if (a === -1 && b === -1) return void 0;
  if (b === -1 || a !== -1 && a < b) return { textEnd: a + 1, bodyStart: a + 3 };
  return { textEnd: b + 1, bodyStart: b + 2 };
}
var SCRATCH = [];
var SCRATCH_KEEP = 512 * RAW_STRIDE;
var WHOLE_TEXT_LIMIT = 8192;
function scanHead(buf, start, len, datagram) {
  let text3;
  let n;
  if (len - start <= WHOLE_TEXT_LIMIT) {
    text3 = latin1(buf, start, len);
    n = text3.length;
  } else {
    const end = blockEnd(buf, start);
    if (end !== void 0 && end.bodyStart <= len) text3 = latin1(buf, start, end.bodyStart);
    else if (datagram) text3 = latin1(buf, start, len);
    else return void 0;
    n = text3.length;
  }
  let nl = text3.indexOf("\n");
  if (nl === -1) {
    if (!datagram) return void 0;
    nl = n;
  }
  const slEnd = nl > 0 && text3.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  let pos = nl + 1;
  let headEnd = -1;
  let bodyAt = n;
  const data = SCRATCH;
  let k = 0;
  let problem;
  let c = 0;
  while (pos < n) {
    c = text3.charCodeAt(pos);
    if (c === 10) {
      headEnd = pos;
      bodyAt = pos + 1;
      break;
    }
    if (c === 13 && (pos + 1 >= n ? datagram : text3.charCodeAt(pos + 1) === 10)) {
      headEnd = pos;
      bodyAt = Math.min(pos + 2, n);
      break;
    }
    nl = text3.indexOf("\n", pos);
    if (nl === -1) {
      if (!datagram) return void 0;
      nl = n;
    }
    if (c === 32 || c === 9) {
      problem ??= "continuation line without a header";
      pos = nl + 1;
      continue;
    }
    const ns = pos;
    const colonAt = text3.indexOf(":", pos);
    let ne = colonAt;
    if (ne !== -1) while (ne > ns && ((c = text3.charCodeAt(ne - 1)) === 32 || c === 9)) ne--;
    const known = colonAt === -1 || colonAt > nl || ne === ns ? void 0 : knownName(text3, ns, ne);
    let key2;
    let name;
    if (known !== void 0) {
      key2 = known.key;
      name = known.spelling;
    } else if (colonAt !== -1 && colonAt < nl && ne > ns && isTokenRange(text3, ns, ne)) {
      const nm = text3.slice(ns, ne);
      key2 = normalizeHeaderName(nm);
      name = nm;
    } else {
      if (colonAt !== -1 && colonAt < nl) problem ??= `invalid header name "${text3.slice(ns, Math.min(colonAt, ns + 40)).trim()}"`;
      else problem ??= `header line without a colon: "${text3.slice(ns, Math.min(nl, ns + 40)).trim()}"`;
      pos = nl + 1;
      while (pos < n && ((c = text3.charCodeAt(pos)) === 32 || c === 9)) {
        nl = text3.indexOf("\n", pos);
        pos = nl === -1 ? n : nl + 1;
      }
      continue;
    }
    pos = colonAt + 1;
    while (pos < nl && ((c = text3.charCodeAt(pos)) === 32 || c === 9)) pos++;
    const vs = pos;
    let le = nl;
    if (le > vs && text3.charCodeAt(le - 1) === 13) le--;
    let ve = le;
    while (ve > vs && ((c = text3.charCodeAt(ve - 1)) === 32 || c === 9)) ve--;
    let flags = ne === colonAt && vs === colonAt + 2 && text3.charCodeAt(colonAt + 1) === 32 && ve === le && le === nl - 1 && nl < n ? RAW_CLEAN : 0;
    let next = nl + 1;
    while (next < n && ((c = text3.charCodeAt(next)) === 32 || c === 9)) {
      flags = RAW_FOLDED;
      let p2 = text3.indexOf("\n", next);
      if (p2 === -1) p2 = n;
      let e = p2;
      while (e > next && ((c = text3.charCodeAt(e - 1)) === 32 || c === 9 || c === 13)) e--;
      if (e > next) ve = e;
      next = p2 + 1;
    }
    data[k] = key2;
    data[k + 1] = name;
    data[k + 2] = ns;
    data[k + 3] = ne;
    data[k + 4] = vs;
    data[k + 5] = ve;
    data[k + 6] = flags;
    k += RAW_STRIDE;
    pos = next;
  }
  if (headEnd === -1 && !datagram) return void 0;
  const bodyStart = start + bodyAt;
  const ascii = start === 0 && n === buf.length ? isAscii(buf) : isAscii(buf.subarray(start, start + n));
  const raw = new RawHeaders(text3, data.slice(0, k), ascii);
  if (k > SCRATCH_KEEP) SCRATCH.length = SCRATCH_KEEP;
  let contentLength;
  let clConflict = false;
  for (let i = raw.indexOf("content-length"); i !== -1; i = raw.indexOf("content-length", i + 1)) {
    const v = raw.asciiValue(i);
    if (contentLength === void 0) contentLength = v;
    else if (v !== contentLength) clConflict = true;
  }
  let startLine = text3.slice(0, slEnd);
  if (!ascii && hasHighBytes(startLine)) startLine = Buffer.from(startLine, "latin1").toString("utf8");
  const sl = parseStartLine(startLine);
  if (typeof sl === "string") return { message: void 0, error: new SipParseError(sl), bodyStart, contentLength, clConflict };
  sl.message.adoptRawHeaders(raw);
  const p = sl.problem ?? problem;
  if (p !== void 0) sl.message.parseError = p;
  return { message: sl.message, error: void 0, bodyStart, contentLength, clConflict };
}
var HAS_LATIN1_SLICE = typeof Buffer.prototype.latin1Slice === "function";
function latin1(buf, from, to) {
  return HAS_LATIN1_SLICE ? buf.latin1Slice(from, to) : buf.toString("latin1", from, to);
}
var SIP20 = "SIP/2.0";
function parseStartLine(line2) {
  const n = line2.length;
  if (line2.startsWith("SIP/2.0 ")) {
    if (n >= 11 && (n === 11 || line2.charCodeAt(11) === 32)) {
      const d0 = line2.charCodeAt(8) - 48;
      const d1 = line2.charCodeAt(9) - 48;
      const d2 = line2.charCodeAt(10) - 48;
      if (d0 >= 1 && d0 <= 6 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) {
        return { message: new SipResponse(d0 * 100 + d1 * 10 + d2, n > 12 ? line2.slice(12) : "", SIP20), problem: void 0 };
      }
    }
  } else if (line2.endsWith(" SIP/2.0")) {
    const sp1 = line2.indexOf(" ");
    const sp2 = n - 8;
    if (sp1 > 0 && sp2 > sp1 + 1 && line2.indexOf(" ", sp1 + 1) === sp2 && line2.indexOf("	") === -1 && isTokenRange(line2, 0, sp1)) {
      return { message: new SipRequest(line2.slice(0, sp1), line2.slice(sp1 + 1, sp2), SIP20), problem: void 0 };
    }
  }
  const v = versionEnd(line2, 0);
  if (v !== -1) {
    if (v >= n || line2.charCodeAt(v) !== 32) return invalid2(line2);
    let code = 0;
    for (let k = v + 1; k < v + 4; k++) {
      const c = k < n ? line2.charCodeAt(k) : -1;
      if (c < 48 || c > 57) return invalid2(line2);
      code = code * 10 + (c - 48);
    }
    if (v + 4 < n && line2.charCodeAt(v + 4) !== 32) return invalid2(line2);
    if (code < 100 || code > 699) return invalid2(line2);
    const reason = v + 5 <= n ? line2.slice(v + 5) : "";
    return { message: new SipResponse(code, reason, version(line2, 0, v)), problem: void 0 };
  }
  let i = 0;
  while (i < n) {
    const c = line2.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] !== 1) break;
    i++;
  }
  if (i === 0 || i >= n || !isWs2(line2.charCodeAt(i))) return invalid2(line2);
  const method = line2.slice(0, i);
  let end = n;
  while (end > i && isWs2(line2.charCodeAt(end - 1))) end--;
  let vs = end;
  while (vs > i && !isWs2(line2.charCodeAt(vs - 1))) vs--;
  if (versionEnd(line2, vs) !== end) return invalid2(line2);
  let us = i;
  while (us < vs && isWs2(line2.charCodeAt(us))) us++;
  let ue = vs;
  while (ue > us && isWs2(line2.charCodeAt(ue - 1))) ue--;
  if (ue === us) return invalid2(line2);
  let problem;
  for (let k = us; k < ue; k++) {
    if (isWs2(line2.charCodeAt(k))) {
      problem = "whitespace inside the Request-URI";
      break;
    }
  }
  return { message: new SipRequest(method, line2.slice(us, ue), version(line2, vs, end)), problem };
}
function versionEnd(line2, at) {
  const n = line2.length;
  if (at + 7 > n || (line2.charCodeAt(at) | 32) !== 115 || (line2.charCodeAt(at + 1) | 32) !== 105 || (line2.charCodeAt(at + 2) | 32) !== 112 || line2.charCodeAt(at + 3) !== 47) {
    return -1;
  }
  let i = at + 4;
  const d1 = i;
  while (i < n && isDigit(line2.charCodeAt(i))) i++;
  if (i === d1 || i - d1 > 4 || i >= n || line2.charCodeAt(i) !== 46) return -1;
  const d2 = ++i;
  while (i < n && isDigit(line2.charCodeAt(i))) i++;
  if (i === d2 || i - d2 > 4) return -1;
  return i;
}
function version(line2, from, to) {
  if (to - from === 7 && line2.startsWith(SIP20, from)) return SIP20;
  return line2.slice(from, to).toUpperCase();
}
function isDigit(c) {
  return c >= 48 && c <= 57;
}
function isWs2(c) {
  return c === 32 || c === 9;
}
function invalid2(line2) {
  return `invalid start line "${line2.slice(0, 60)}"`;
}

// src/sip/parser/stream-parser.ts
var EMPTY3 = Buffer.alloc(0);
var StreamParser = class {
  constructor(maxMessageBytes = 65535) {
    this.maxMessageBytes = maxMessageBytes;
  }
  maxMessageBytes;
  /** Unconsumed bytes: a view of the caller's chunk, or of `store`. */
  buf = EMPTY3;
  /** Our own storage for partial data; buf is store[bufStart, bufStart + buf.length). */
  store;
  bufStart = 0;
  /** Where to resume looking for the end of the header block in buf. */
  scanFrom = 0;
  /** Head of the message whose body is still arriving. */
  pending;
  failed = false;
  get buffered() {
    return this.buf.length;
  }
  push(chunk) {
    if (this.failed) return [];
    if (chunk.length === 0) return [];
    if (this.buf.length === 0) {
      this.buf = chunk;
      this.store = void 0;
    } else this.append(chunk);
    const events = [];
    for (; ; ) {
      if (this.pending === void 0) {
        const b = this.buf;
        let i = 0;
        while (i < b.length && (b[i] === 13 || b[i] === 10)) i++;
        if (i > 0) {
          events.push({ kind: isPing(b, i) ? "ping" : "pong" });
          this.consume(i);
        }
        if (this.buf.length === 0) break;
        const end = findHeaderEnd(this.buf, this.scanFrom);
        if (end === void 0) {
          if (this.buf.length > this.maxMessageBytes) return this.fail(events, "header block exceeds the maximum message size");
          this.scanFrom = Math.max(0, this.buf.length - 3);
          break;
        }
        this.scanFrom = 0;
        const head2 = scanHead(this.buf, 0, end.bodyStart, false);
        if (head2 === void 0) return this.fail(events, "header block could not be delimited");
        if (head2.clConflict) return this.fail(events, "conflicting Content-Length headers on a stream transport");
        if (head2.contentLength === void 0) return this.fail(events, "missing Content-Length on a stream transport");
        const cl = contentLengthValue(head2.contentLength);
        if (cl === void 0) return this.fail(events, `invalid Content-Length "${head2.contentLength.slice(0, 16)}"`);
        const total2 = head2.bodyStart + cl;
        if (total2 > this.maxMessageBytes) return this.fail(events, `message of ${total2} bytes exceeds the maximum of ${this.maxMessageBytes}`);
        this.pending = { head: head2, total: total2 };
      }
      const { head, total } = this.pending;
      if (this.buf.length < total) break;
      this.pending = void 0;
      let frame = this.buf.subarray(0, total);
      if (this.store !== void 0) frame = Buffer.from(frame);
      this.consume(total);
      if (head.message === void 0) {
        events.push({ kind: "error", error: head.error ?? new SipParseError("unparseable message"), raw: frame });
        continue;
      }
      const msg = head.message;
      if (total > head.bodyStart) msg.adoptBody(frame, head.bodyStart, total);
      events.push({ kind: "message", message: msg });
    }
    if (this.buf.length > 0 && this.store === void 0) this.own(this.buf.length);
    return events;
  }
  consume(n) {
    this.buf = this.buf.subarray(n);
    this.bufStart += n;
    if (this.buf.length === 0) {
      this.buf = EMPTY3;
      this.store = void 0;
      this.bufStart = 0;
    }
  }
  append(chunk) {
    const have = this.buf.length;
    const need = have + chunk.length;
    const store = this.store;
    if (store !== void 0 && this.bufStart + need <= store.length) {
      chunk.copy(store, this.bufStart + have);
      this.buf = store.subarray(this.bufStart, this.bufStart + need);
      return;
    }
    this.own(need);
    chunk.copy(this.store, have);
    this.buf = this.store.subarray(0, need);
  }
  /** Move the unconsumed bytes into fresh storage with room for `need` bytes (and more). */
  own(need) {
    const store = Buffer.allocUnsafe(Math.max(4096, need * 2));
    this.buf.copy(store, 0);
    this.store = store;
    this.bufStart = 0;
    this.buf = store.subarray(0, this.buf.length);
  }
  fail(events, reason) {
    this.failed = true;
    this.buf = EMPTY3;
    this.store = void 0;
    this.pending = void 0;
    events.push({ kind: "fatal", error: new SipParseError(reason) });
    return events;
  }
};
function isPing(b, n) {
  for (let i = 0; i + 3 < n; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return true;
  }
  return false;
}

// src/sip/transport/connection.ts
function wireSize(msg) {
  let n = msg.startLine().length + 4 + msg.body.length;
  for (const h of msg.headers) n += h.name.length + h.value.length + 4;
  return n;
}
function isOnlyCrlf(buf) {
  for (const b of buf) if (b !== 13 && b !== 10) return false;
  return true;
}

// src/sip/transport/socket-connection.ts
var PONG = Buffer.from("\r\n");
var SocketConnection = class {
  constructor(ctx, id2, protocol, socket, inbound) {
    this.ctx = ctx;
    this.id = id2;
    this.protocol = protocol;
    this.socket = socket;
    this.inbound = inbound;
    this.flow = {
      protocol,
      localAddress: normalizeAddress(socket.localAddress ?? ""),
      localPort: socket.localPort ?? 0,
      remoteAddress: normalizeAddress(socket.remoteAddress ?? ""),
      remotePort: socket.remotePort ?? 0,
      connectionId: id2
    };
    this.parser = new StreamParser(ctx.options.maxMessageSize);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 6e4);
    socket.on("data", (chunk) => {
      try {
        this.onData(chunk);
      } catch (e) {
        ctx.logger.error({ ...errorInfo(e), connectionId: id2 }, "unexpected error handling inbound data");
        this.close("internal error");
      }
    });
    socket.on("error", (e) => {
      ctx.logger.debug({ ...errorInfo(e), connectionId: id2, protocol }, "connection error");
      this.close(`socket error: ${e.message}`);
    });
    socket.on("close", () => this.close("closed"));
  }
  ctx;
  id;
  protocol;
  socket;
  inbound;
  flow;
  lastActivity = Date.now();
  holds = 0;
  parser;
  closed = false;
  get isOpen() {
    return !this.closed && !this.socket.destroyed;
  }
  onData(chunk) {
    if (this.closed) return;
    this.lastActivity = Date.now();
    const stats = this.ctx.stats.p[this.protocol];
    stats.bytesIn += chunk.length;
    for (const ev of this.parser.push(chunk)) {
      switch (ev.kind) {
        case "message":
          this.ctx.deliver(ev.message, this.flow, wireSize(ev.message));
          break;
        case "ping":
          stats.keepalives++;
          this.send(PONG).catch(() => void 0);
          break;
        case "pong":
          break;
        case "error":
          this.ctx.parseFailure(this.flow, ev.error.message, ev.raw.length);
          break;
        case "fatal":
          this.ctx.parseFailure(this.flow, ev.error.message, chunk.length);
          this.close(`framing error: ${ev.error.message}`);
          return;
      }
    }
  }
  send(data) {
    if (!this.isOpen) return Promise.reject(new Error("connection closed"));
    const limit = this.ctx.options.connections.maxWriteBuffer;
    if (this.socket.writableLength + data.length > limit) {
      this.close("peer not reading: write buffer full");
      return Promise.reject(new Error(`write buffer of ${limit} bytes full`));
    }
    this.lastActivity = Date.now();
    return new Promise((resolve2, reject) => {
      this.socket.write(data, (err) => {
        if (err) reject(err);
        else {
          this.ctx.stats.p[this.protocol].bytesOut += data.length;
          resolve2();
        }
      });
    });
  }
  close(reason) {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.ctx.connectionClosed(this, reason);
  }
};

// src/sip/transport/tcp-transport.ts
var TcpTransport = class {
  constructor(ctx, listen, protocol = "tcp") {
    this.ctx = ctx;
    this.listen = listen;
    this.protocol = protocol;
    this.family = addressFamily(listen.host) === 6 ? 6 : 4;
    this.boundAddress = normalizeAddress(listen.host);
  }
  ctx;
  listen;
  protocol;
  family;
  server;
  boundAddress;
  boundPort = 0;
  closed = false;
  /** Sockets still connecting or handshaking, destroyed on close(). */
  dialing = /* @__PURE__ */ new Set();
  /** The server; TLS overrides. Accepted sockets must be handed to accepted(). */
  createServer() {
    const server = net.createServer({ noDelay: true });
    server.on("connection", (socket) => {
      if (this.gate(socket)) this.accepted(socket);
    });
    return server;
  }
  /** Open the socket for an outbound connection; `ready` is the event that means usable. */
  dial(address, port2) {
    const opts = { host: address, port: port2 };
    const local = this.localBindAddress(address);
    if (local !== void 0) opts.localAddress = local;
    return { socket: net.connect(opts), ready: "connect" };
  }
  /** Bind outbound connections to the listening address so the source IP matches Via (multi-homed hosts). */
  localBindAddress(remote) {
    if (isWildcard(this.boundAddress)) return void 0;
    const f = addressFamily(remote);
    return f === 0 || f === this.family ? this.boundAddress : void 0;
  }
  /** Admission control on the raw socket, before any TLS work. */
  gate(socket) {
    socket.on("error", () => void 0);
    const release = this.ctx.admit(this.protocol, socket.remoteAddress ?? "");
    if (release === void 0) {
      this.ctx.stats.p[this.protocol].connectionsRejected++;
      this.ctx.logger.debug({ protocol: this.protocol, remote: socket.remoteAddress }, "connection refused: limit reached");
      socket.destroy();
      return false;
    }
    socket.once("close", release);
    return true;
  }
  accepted(socket) {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.ctx.stats.p[this.protocol].connectionsAccepted++;
    const conn = new SocketConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, socket, true);
    this.ctx.connectionOpened(conn);
  }
  async start() {
    const server = this.createServer();
    this.server = server;
    await new Promise((resolve2, reject) => {
      const onError = (e) => reject(e);
      server.once("error", onError);
      server.listen({ port: this.listen.port, host: this.listen.host }, () => {
        server.off("error", onError);
        resolve2();
      });
    });
    server.on("error", (e) => this.ctx.logger.error({ ...errorInfo(e), protocol: this.protocol }, "server error"));
    const a = server.address();
    if (a !== null && typeof a === "object") {
      this.boundAddress = normalizeAddress(a.address);
      this.boundPort = a.port;
    }
  }
  listeningPoint() {
    return {
      protocol: this.protocol,
      address: this.listen.advertisedHost ?? this.boundAddress,
      port: this.listen.advertisedPort ?? this.boundPort,
      localAddress: this.boundAddress,
      localPort: this.boundPort
    };
  }
  connect(address, port2) {
    const dest = { protocol: this.protocol, address, port: port2 };
    if (this.closed) return Promise.reject(new TransportError("transport closed", dest, "closed"));
    const timeoutMs = this.ctx.options.connections.connectTimeoutMs;
    return new Promise((resolve2, reject) => {
      let socket;
      let ready;
      try {
        ({ socket, ready } = this.dial(normalizeAddress(address), port2));
      } catch (e) {
        reject(new TransportError(`cannot connect to ${hostPort(address, port2)}: ${errorInfo(e).err}`, dest, "connect-failed", { cause: e }));
        return;
      }
      this.dialing.add(socket);
      let settled = false;
      const finish = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.dialing.delete(socket);
        socket.off("error", onError);
        socket.off("close", onClose);
        if (err !== void 0) {
          socket.on("error", () => void 0);
          socket.destroy();
          reject(err);
          return;
        }
        const conn = new SocketConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, socket, false);
        this.ctx.connectionOpened(conn);
        resolve2(conn);
      };
      const onError = (e) => finish(new TransportError(`cannot connect to ${hostPort(address, port2)}: ${e.message}`, dest, "connect-failed", { cause: e }));
      const onClose = () => finish(new TransportError(`connection to ${hostPort(address, port2)} closed during setup`, dest, "connect-failed"));
      const timer = setTimeout(
        () => finish(new TransportError(`connect to ${hostPort(address, port2)} timed out after ${timeoutMs} ms`, dest, "connect-timeout")),
        timeoutMs
      );
      socket.once("error", onError);
      socket.once("close", onClose);
      socket.once(ready, () => finish(this.closed ? new TransportError("transport closed", dest, "closed") : void 0));
    });
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.dialing) s.destroy();
    this.dialing.clear();
    const server = this.server;
    if (server === void 0) return;
    await new Promise((resolve2) => server.close(() => resolve2()));
  }
};

// src/sip/transport/tls-transport.ts
import tls from "node:tls";
var TlsTransport = class extends TcpTransport {
  constructor(ctx, listen) {
    super(ctx, listen, "tls");
    if (listen.tls === void 0) throw new Error("a tls listening point needs tls: { cert, key }");
  }
  createServer() {
    const creds = this.listen.tls;
    const server = tls.createServer({
      cert: creds.cert,
      key: creds.key,
      ca: creds.ca,
      requestCert: creds.requestCert ?? false,
      rejectUnauthorized: creds.rejectUnauthorized ?? false,
      handshakeTimeout: this.ctx.options.connections.handshakeTimeoutMs
    });
    server.on("connection", (socket) => {
      this.gate(socket);
    });
    server.on("secureConnection", (socket) => this.accepted(socket));
    server.on("tlsClientError", (e, socket) => {
      this.ctx.logger.debug({ err: e.message, remote: socket.remoteAddress }, "tls handshake failed");
      socket.destroy();
    });
    return server;
  }
  dial(address, port2) {
    const c = this.ctx.options.tlsClient;
    const opts = {
      host: address,
      port: port2,
      ca: c.ca,
      cert: c.cert,
      key: c.key,
      rejectUnauthorized: c.rejectUnauthorized ?? true
    };
    if (addressFamily(address) === 0) opts.servername = address;
    const local = this.localBindAddress(address);
    if (local !== void 0) opts.localAddress = local;
    return { socket: tls.connect(opts), ready: "secureConnect" };
  }
};

// src/sip/transport/udp-transport.ts
import dgram3 from "node:dgram";

// src/sip/transport/stun.ts
import { isIP as isIP2 } from "node:net";
var MAGIC_COOKIE2 = 554869826;
var BINDING_REQUEST = 1;
var BINDING_SUCCESS = 257;
var XOR_MAPPED_ADDRESS = 32;
function isStunMessage(buf) {
  return buf.length >= 20 && (buf[0] & 192) === 0 && buf.readUInt32BE(4) === MAGIC_COOKIE2 && buf.readUInt16BE(2) + 20 === buf.length;
}
function stunBindingResponse(request, address, port2) {
  if (!isStunMessage(request) || request.readUInt16BE(0) !== BINDING_REQUEST) return void 0;
  const family = isIP2(address);
  if (family === 0) return void 0;
  const txId = request.subarray(8, 20);
  const addrLen = family === 4 ? 4 : 16;
  const attr = Buffer.alloc(4 + 4 + addrLen);
  attr.writeUInt16BE(XOR_MAPPED_ADDRESS, 0);
  attr.writeUInt16BE(4 + addrLen, 2);
  attr.writeUInt8(0, 4);
  attr.writeUInt8(family === 4 ? 1 : 2, 5);
  attr.writeUInt16BE(port2 ^ MAGIC_COOKIE2 >>> 16, 6);
  const raw = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const key2 = Buffer.concat([Buffer.from([33, 18, 164, 66]), txId]);
  for (let i = 0; i < addrLen; i++) attr[8 + i] = raw[i] ^ key2[i];
  const head = Buffer.alloc(20);
  head.writeUInt16BE(BINDING_SUCCESS, 0);
  head.writeUInt16BE(attr.length, 2);
  head.writeUInt32BE(MAGIC_COOKIE2, 4);
  txId.copy(head, 8);
  return Buffer.concat([head, attr]);
}
function ipv4Bytes(a) {
  return Buffer.from(a.split(".").map(Number));
}
function ipv6Bytes(a) {
  let text3 = a;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text3);
  if (v4 !== null) {
    const b = v4.slice(1).map(Number);
    text3 = `${text3.slice(0, v4.index)}${(b[0] << 8 | b[1]).toString(16)}:${(b[2] << 8 | b[3]).toString(16)}`;
  }
  const parse2 = (part) => part === "" ? [] : part.split(":").map((h) => parseInt(h, 16));
  const gap = text3.indexOf("::");
  let groups;
  if (gap === -1) groups = parse2(text3);
  else {
    const head = parse2(text3.slice(0, gap));
    const tail = parse2(text3.slice(gap + 2));
    groups = [...head, ...new Array(Math.max(0, 8 - head.length - tail.length)).fill(0), ...tail];
  }
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g & 65535, i * 2));
  return out;
}

// src/sip/transport/udp-transport.ts
var UdpTransport = class {
  constructor(ctx, listen) {
    this.ctx = ctx;
    this.listen = listen;
    this.family = addressFamily(listen.host) === 6 ? 6 : 4;
    this.boundAddress = normalizeAddress(listen.host);
  }
  ctx;
  listen;
  protocol = "udp";
  family;
  socket;
  boundAddress;
  boundPort = 0;
  closed = false;
  async start() {
    const { recvBufferSize, sendBufferSize } = this.ctx.options.udp;
    const socket = dgram3.createSocket({ type: this.family === 6 ? "udp6" : "udp4", recvBufferSize, sendBufferSize });
    this.socket = socket;
    await new Promise((resolve2, reject) => {
      const onError = (e) => reject(e);
      socket.once("error", onError);
      socket.bind(this.listen.port, this.listen.host, () => {
        socket.off("error", onError);
        resolve2();
      });
    });
    socket.on("error", (e) => this.ctx.logger.warn({ ...errorInfo(e), protocol: "udp" }, "udp socket error"));
    socket.on("message", (buf, rinfo) => {
      try {
        this.onDatagram(buf, rinfo.address, rinfo.port);
      } catch (e) {
        this.ctx.logger.error({ ...errorInfo(e), protocol: "udp" }, "unexpected error handling a datagram");
      }
    });
    const a = socket.address();
    this.boundAddress = normalizeAddress(a.address);
    this.boundPort = a.port;
    this.checkBuffers(socket, recvBufferSize, sendBufferSize);
  }
  /** Linux silently caps SO_RCVBUF at net.core.rmem_max (and reports double): say so once. */
  checkBuffers(socket, wantRecv, wantSend) {
    try {
      const recv = socket.getRecvBufferSize();
      const send2 = socket.getSendBufferSize();
      const info = { protocol: "udp", port: this.boundPort, recvBufferSize: recv, sendBufferSize: send2, wantRecv, wantSend };
      if (recv < wantRecv || send2 < wantSend) {
        this.ctx.logger.warn(info, "udp socket buffers smaller than configured: raise net.core.rmem_max / wmem_max");
      } else this.ctx.logger.debug(info, "udp socket buffers");
    } catch (e) {
      this.ctx.logger.warn(errorInfo(e), "cannot read udp socket buffer sizes");
    }
  }
  listeningPoint() {
    return {
      protocol: "udp",
      address: this.listen.advertisedHost ?? this.boundAddress,
      port: this.listen.advertisedPort ?? this.boundPort,
      localAddress: this.boundAddress,
      localPort: this.boundPort
    };
  }
  get localAddress() {
    return this.boundAddress;
  }
  get localPort() {
    return this.boundPort;
  }
  /** Can this socket reach `address` (family match, or a dual-stack `::` socket for IPv4)? */
  canReach(address) {
    const f = addressFamily(address);
    if (f === 0 || f === this.family) return true;
    return f === 4 && this.family === 6 && isWildcard(this.boundAddress);
  }
  send(data, address, port2) {
    const socket = this.socket;
    if (socket === void 0 || this.closed) return Promise.reject(new Error("udp socket closed"));
    let target = normalizeAddress(address);
    if (this.family === 6 && addressFamily(target) === 4) target = `::ffff:${target}`;
    return new Promise((resolve2, reject) => {
      try {
        socket.send(data, port2, target, (err) => err ? reject(err) : resolve2());
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }
  onDatagram(buf, address, port2) {
    const flow = {
      protocol: "udp",
      localAddress: this.boundAddress,
      localPort: this.boundPort,
      remoteAddress: normalizeAddress(address),
      remotePort: port2
    };
    const stats = this.ctx.stats.p.udp;
    stats.bytesIn += buf.length;
    if (buf.length > this.ctx.options.maxMessageSize) {
      this.ctx.parseFailure(flow, `datagram of ${buf.length} bytes exceeds the maximum of ${this.ctx.options.maxMessageSize}`, buf.length);
      return;
    }
    if (isStunMessage(buf)) {
      const reply = stunBindingResponse(buf, flow.remoteAddress, port2);
      if (reply !== void 0) {
        stats.keepalives++;
        this.send(reply, flow.remoteAddress, port2).catch((e) => this.ctx.logger.debug(errorInfo(e), "stun reply failed"));
      }
      return;
    }
    if (isOnlyCrlf(buf)) {
      stats.keepalives++;
      return;
    }
    let msg;
    try {
      msg = parseMessage(buf, { datagram: true });
    } catch (e) {
      this.ctx.parseFailure(flow, e instanceof SipParseError ? e.message : `unparseable datagram: ${String(e)}`, buf.length);
      return;
    }
    this.ctx.deliver(msg, flow, buf.length);
  }
  close() {
    if (this.closed || this.socket === void 0) {
      this.closed = true;
      return Promise.resolve();
    }
    this.closed = true;
    const socket = this.socket;
    return new Promise((resolve2) => {
      try {
        socket.close(() => resolve2());
      } catch {
        resolve2();
      }
    });
  }
};

// src/sip/transport/via-stamp.ts
function stampVia(req, sourceAddress, sourcePort) {
  let via;
  try {
    via = req.topVia;
  } catch {
    return;
  }
  const source = normalizeAddress(sourceAddress);
  const params = via.params;
  const hasRport = params.has("rport");
  if (hasRport) params.set("rport", String(sourcePort));
  if (hasRport || params.has("received") || normalizeAddress(via.host) !== source) params.set("received", source);
}

// src/sip/transport/ws-transport.ts
import { isUtf8 } from "node:buffer";
import http from "node:http";
import https from "node:https";
import { WebSocket, WebSocketServer } from "ws";
var SUBPROTOCOL = "sip";
function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
function offersSip(header) {
  if (header === void 0) return false;
  return header.split(",").some((p) => p.trim().toLowerCase() === SUBPROTOCOL);
}
var WsConnection = class {
  constructor(ctx, id2, protocol, ws, socket, inbound) {
    this.ctx = ctx;
    this.id = id2;
    this.protocol = protocol;
    this.ws = ws;
    this.inbound = inbound;
    this.flow = {
      protocol,
      localAddress: normalizeAddress(socket.localAddress ?? ""),
      localPort: socket.localPort ?? 0,
      remoteAddress: normalizeAddress(socket.remoteAddress ?? ""),
      remotePort: socket.remotePort ?? 0,
      connectionId: id2
    };
    ws.on("message", (data, isBinary) => {
      try {
        this.onFrame(toBuffer(data), isBinary);
      } catch (e) {
        ctx.logger.error({ ...errorInfo(e), connectionId: id2 }, "unexpected error handling a websocket frame");
      }
    });
    ws.on("ping", () => this.touch());
    ws.on("pong", () => this.touch());
    ws.on("error", (e) => {
      ctx.logger.debug({ ...errorInfo(e), connectionId: id2, protocol }, "websocket error");
      this.close(`websocket error: ${e.message}`);
    });
    ws.on("close", (code) => this.close(`closed (${code})`));
  }
  ctx;
  id;
  protocol;
  ws;
  inbound;
  flow;
  lastActivity = Date.now();
  holds = 0;
  closed = false;
  get isOpen() {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }
  touch() {
    this.lastActivity = Date.now();
  }
  onFrame(buf, _isBinary) {
    if (this.closed) return;
    this.touch();
    const stats = this.ctx.stats.p[this.protocol];
    stats.bytesIn += buf.length;
    const max = this.ctx.options.maxMessageSize;
    if (buf.length > max) {
      this.ctx.parseFailure(this.flow, `message of ${buf.length} bytes exceeds the maximum of ${max}`, buf.length);
      return;
    }
    if (isOnlyCrlf(buf)) {
      if (buf.includes("\r\n\r\n")) {
        stats.keepalives++;
        this.send(Buffer.from("\r\n")).catch(() => void 0);
      }
      return;
    }
    let msg;
    try {
      msg = parseMessage(buf, { datagram: true });
    } catch (e) {
      this.ctx.parseFailure(this.flow, e instanceof SipParseError ? e.message : `unparseable frame: ${String(e)}`, buf.length);
      return;
    }
    this.ctx.deliver(msg, this.flow, buf.length);
  }
  send(data) {
    if (!this.isOpen) return Promise.reject(new Error("connection closed"));
    const limit = this.ctx.options.connections.maxWriteBuffer;
    if (this.ws.bufferedAmount + data.length > limit) {
      this.close("peer not reading: write buffer full");
      return Promise.reject(new Error(`write buffer of ${limit} bytes full`));
    }
    this.touch();
    const binary = !isUtf8(data);
    return new Promise((resolve2, reject) => {
      this.ws.send(data, { binary }, (err) => {
        if (err) reject(err);
        else {
          this.ctx.stats.p[this.protocol].bytesOut += data.length;
          resolve2();
        }
      });
    });
  }
  close(reason, immediate = false) {
    if (this.closed) return;
    this.closed = true;
    if (!immediate && this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(1e3);
      setTimeout(() => this.ws.terminate(), 2e3).unref();
    } else this.ws.terminate();
    this.ctx.connectionClosed(this, reason);
  }
};
var WsTransport = class {
  constructor(ctx, listen, protocol) {
    this.ctx = ctx;
    this.listen = listen;
    this.protocol = protocol;
    if (protocol === "wss" && listen.tls === void 0) throw new Error("a wss listening point needs tls: { cert, key }");
    this.family = addressFamily(listen.host) === 6 ? 6 : 4;
    this.boundAddress = normalizeAddress(listen.host);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Frames beyond twice the message limit cannot be buffered: ws closes with 1009.
      maxPayload: ctx.options.maxMessageSize * 2,
      // Invalid UTF-8 in a text frame would make ws close the connection; the SIP parser copes instead.
      skipUTF8Validation: true,
      handleProtocols: (protocols) => protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false
    });
    this.wss.on("error", (e) => ctx.logger.warn({ ...errorInfo(e), protocol }, "websocket server error"));
    this.wss.on("wsClientError", (e, socket) => {
      ctx.logger.debug({ ...errorInfo(e), protocol }, "websocket handshake failed");
      socket.destroy();
    });
  }
  ctx;
  listen;
  protocol;
  family;
  server;
  wss;
  boundAddress;
  boundPort = 0;
  closed = false;
  dialing = /* @__PURE__ */ new Set();
  rawSockets = /* @__PURE__ */ new Set();
  async start() {
    const creds = this.listen.tls;
    const server = this.protocol === "wss" && creds !== void 0 ? https.createServer({
      cert: creds.cert,
      key: creds.key,
      ca: creds.ca,
      requestCert: creds.requestCert ?? false,
      rejectUnauthorized: creds.rejectUnauthorized ?? false,
      handshakeTimeout: this.ctx.options.connections.handshakeTimeoutMs
    }) : http.createServer();
    this.server = server;
    server.headersTimeout = this.ctx.options.connections.handshakeTimeoutMs;
    server.requestTimeout = this.ctx.options.connections.handshakeTimeoutMs;
    server.on("connection", (socket) => this.gate(socket));
    server.on("request", (_req, res) => {
      res.writeHead(426, { Connection: "close", Upgrade: "websocket", "Content-Type": "text/plain" });
      res.end("SIP over WebSocket only (RFC 7118)\n");
    });
    server.on("upgrade", (req, socket, head) => this.upgrade(req, socket, head));
    server.on("clientError", (_e, socket) => socket.destroy());
    if (server instanceof https.Server) {
      server.on("tlsClientError", (e, socket) => {
        this.ctx.logger.debug({ err: e.message }, "wss tls handshake failed");
        socket.destroy();
      });
    }
    await new Promise((resolve2, reject) => {
      const onError = (e) => reject(e);
      server.once("error", onError);
      server.listen({ port: this.listen.port, host: this.listen.host }, () => {
        server.off("error", onError);
        resolve2();
      });
    });
    server.on("error", (e) => this.ctx.logger.error({ ...errorInfo(e), protocol: this.protocol }, "server error"));
    const a = server.address();
    if (a !== null && typeof a === "object") {
      this.boundAddress = normalizeAddress(a.address);
      this.boundPort = a.port;
    }
  }
  /** Admission control at TCP accept, like the TCP transport. */
  gate(socket) {
    socket.on("error", () => void 0);
    const release = this.ctx.admit(this.protocol, socket.remoteAddress ?? "");
    if (release === void 0) {
      this.ctx.stats.p[this.protocol].connectionsRejected++;
      this.ctx.logger.debug({ protocol: this.protocol, remote: socket.remoteAddress }, "connection refused: limit reached");
      socket.destroy();
      return;
    }
    this.rawSockets.add(socket);
    socket.once("close", () => {
      release();
      this.rawSockets.delete(socket);
    });
  }
  upgrade(req, socket, head) {
    socket.on("error", () => void 0);
    if (this.closed) {
      socket.destroy();
      return;
    }
    const offered = req.headers["sec-websocket-protocol"];
    if (!offersSip(Array.isArray(offered) ? offered.join(",") : offered)) {
      this.ctx.stats.p[this.protocol].connectionsRejected++;
      this.ctx.logger.debug({ protocol: this.protocol, remote: req.socket.remoteAddress }, "websocket upgrade without the sip subprotocol refused");
      const body = "Sec-WebSocket-Protocol: sip required (RFC 7118)\n";
      socket.end(
        `HTTP/1.1 400 Bad Request\r
Connection: close\r
Content-Type: text/plain\r
Content-Length: ${Buffer.byteLength(body)}\r
\r
${body}`
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closed) {
        ws.terminate();
        return;
      }
      this.ctx.stats.p[this.protocol].connectionsAccepted++;
      const conn = new WsConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, ws, req.socket, true);
      this.ctx.connectionOpened(conn);
    });
  }
  listeningPoint() {
    return {
      protocol: this.protocol,
      address: this.listen.advertisedHost ?? this.boundAddress,
      port: this.listen.advertisedPort ?? this.boundPort,
      localAddress: this.boundAddress,
      localPort: this.boundPort
    };
  }
  connect(address, port2) {
    const dest = { protocol: this.protocol, address, port: port2 };
    if (this.closed) return Promise.reject(new TransportError("transport closed", dest, "closed"));
    const o = this.ctx.options;
    const url = `${this.protocol}://${hostPort(normalizeAddress(address), port2)}${o.wsPath}`;
    return new Promise((resolve2, reject) => {
      let ws;
      try {
        ws = new WebSocket(url, SUBPROTOCOL, {
          handshakeTimeout: o.connections.connectTimeoutMs,
          perMessageDeflate: false,
          maxPayload: o.maxMessageSize * 2,
          skipUTF8Validation: true,
          ca: o.tlsClient.ca,
          cert: o.tlsClient.cert,
          key: o.tlsClient.key,
          rejectUnauthorized: o.tlsClient.rejectUnauthorized ?? true
        });
      } catch (e) {
        reject(new TransportError(`cannot connect to ${url}: ${errorInfo(e).err}`, dest, "connect-failed", { cause: e }));
        return;
      }
      this.dialing.add(ws);
      let socket;
      let settled = false;
      const finish = (err) => {
        if (settled) return;
        settled = true;
        this.dialing.delete(ws);
        ws.off("error", onError);
        ws.off("close", onClose);
        if (err !== void 0 || socket === void 0) {
          ws.on("error", () => void 0);
          ws.terminate();
          reject(err ?? new TransportError(`no socket for ${url}`, dest, "connect-failed"));
          return;
        }
        const conn = new WsConnection(this.ctx, this.ctx.nextConnectionId(this.protocol), this.protocol, ws, socket, false);
        this.ctx.connectionOpened(conn);
        resolve2(conn);
      };
      const onError = (e) => {
        const timeout = /timed out|timeout/i.test(e.message);
        finish(new TransportError(`cannot connect to ${url}: ${e.message}`, dest, timeout ? "connect-timeout" : "connect-failed", { cause: e }));
      };
      const onClose = () => finish(new TransportError(`connection to ${url} closed during setup`, dest, "connect-failed"));
      ws.on("upgrade", (res) => {
        socket = res.socket;
      });
      ws.once("error", onError);
      ws.once("close", onClose);
      ws.once("open", () => finish(this.closed ? new TransportError("transport closed", dest, "closed") : void 0));
    });
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    for (const ws of this.dialing) ws.terminate();
    this.dialing.clear();
    for (const s of this.rawSockets) s.destroy();
    const server = this.server;
    if (server === void 0) return;
    await new Promise((resolve2) => server.close(() => resolve2()));
  }
};

// src/sip/transport/transport-layer.ts
async function createTransportLayer(options) {
  const layer = new NetworkTransportLayer(options);
  try {
    await layer.start();
  } catch (e) {
    await layer.close();
    throw e;
  }
  return layer;
}
var NetworkTransportLayer = class {
  constructor(options) {
    this.options = options;
    this.logger = options.logger ?? noopLogger;
    this.opts = resolveOptions(options);
    this.table = new ConnectionTable(this.opts.connections.maxConnections, this.opts.connections.maxConnectionsPerIp);
    this.ctx = {
      logger: this.logger,
      options: this.opts,
      stats: this.counters,
      deliver: (message, flow, size) => this.deliver(message, flow, size),
      parseFailure: (flow, reason, size) => this.parseFailure(flow, reason, size),
      connectionOpened: (conn) => this.connectionOpened(conn),
      connectionClosed: (conn, reason) => this.connectionClosed(conn, reason),
      admit: (_protocol, remoteAddress) => this.table.admit(remoteAddress),
      // Unique across restarts too: a connectionId persisted with a registration must never match a new connection.
      nextConnectionId: (protocol) => `${protocol}-${this.instance}-${++this.seq}`
    };
  }
  options;
  logger;
  opts;
  counters = new StatsCounters();
  table;
  udp = [];
  streams = { tcp: [], tls: [], ws: [], wss: [] };
  transports = [];
  /** Outbound connects in progress, so concurrent sends to one peer share a connection. */
  pending = /* @__PURE__ */ new Map();
  handlers = {
    message: /* @__PURE__ */ new Set(),
    parseFailure: /* @__PURE__ */ new Set(),
    connectionOpened: /* @__PURE__ */ new Set(),
    connectionClosed: /* @__PURE__ */ new Set()
  };
  ctx;
  instance = randomBytes8(3).toString("hex");
  seq = 0;
  sweepTimer;
  closed = false;
  async start() {
    if (this.options.listen.length === 0) throw new Error("createTransportLayer: no listening points");
    for (const l of this.options.listen) {
      const t = this.createTransport(l);
      this.transports.push(t);
      await t.start();
      const lp = t.listeningPoint();
      this.logger.info({ protocol: lp.protocol, address: lp.localAddress, port: lp.localPort }, "sip transport listening");
    }
    const idle = this.opts.connections.idleTimeoutMs;
    if (idle > 0) {
      const period = Math.max(10, Math.min(Math.floor(idle / 4), 3e4));
      this.sweepTimer = setInterval(() => this.reapIdle(), period);
      this.sweepTimer.unref();
    }
  }
  createTransport(l) {
    switch (l.protocol) {
      case "udp": {
        const t = new UdpTransport(this.ctx, l);
        this.udp.push(t);
        return t;
      }
      case "tcp": {
        const t = new TcpTransport(this.ctx, l);
        this.streams.tcp.push(t);
        return t;
      }
      case "tls": {
        const t = new TlsTransport(this.ctx, l);
        this.streams.tls.push(t);
        return t;
      }
      case "ws":
      case "wss": {
        const t = new WsTransport(this.ctx, l, l.protocol);
        this.streams[l.protocol].push(t);
        return t;
      }
      default: {
        const never = l.protocol;
        throw new Error(`unknown transport protocol ${String(never)}`);
      }
    }
  }
  // ------------------------------------------------------------------ inbound
  deliver(message, flow, size) {
    const s = this.counters.p[flow.protocol];
    s.messagesIn++;
    if (message.isRequest()) stampVia(message, flow.remoteAddress, flow.remotePort);
    this.emit("message", { message, flow, size });
  }
  parseFailure(flow, reason, size) {
    this.counters.p[flow.protocol].parseFailures++;
    this.logger.debug({ protocol: flow.protocol, remote: hostPort(flow.remoteAddress, flow.remotePort), reason, size }, "unparseable message dropped");
    this.emit("parseFailure", { flow, reason, size });
  }
  connectionOpened(conn) {
    if (this.closed) {
      conn.close("transport layer closed", true);
      return;
    }
    this.table.add(conn);
    this.counters.p[conn.protocol].openConnections++;
    this.logger.debug({ connectionId: conn.id, inbound: conn.inbound, remote: hostPort(conn.flow.remoteAddress, conn.flow.remotePort) }, "connection open");
    this.emit("connectionOpened", { flow: conn.flow, inbound: conn.inbound });
  }
  connectionClosed(conn, reason) {
    if (!this.table.has(conn)) return;
    this.table.remove(conn);
    this.counters.p[conn.protocol].openConnections--;
    this.logger.debug({ connectionId: conn.id, reason }, "connection closed");
    this.emit("connectionClosed", { flow: conn.flow, inbound: conn.inbound, reason });
  }
  reapIdle() {
    const now = Date.now();
    for (const conn of this.table.idle(now, this.opts.connections.idleTimeoutMs)) {
      this.counters.p[conn.protocol].connectionsReaped++;
      conn.close("idle timeout");
    }
  }
  // ----------------------------------------------------------------- outbound
  send(message, destination) {
    return this.dispatch(message, destination, void 0);
  }
  async sendResponse(response, requestFlow) {
    let dest;
    try {
      dest = responseDestination(response, requestFlow);
    } catch (e) {
      const fallback = { protocol: requestFlow.protocol, address: requestFlow.remoteAddress, port: requestFlow.remotePort };
      this.counters.p[requestFlow.protocol].sendFailures++;
      throw new TransportError(`response has no usable Via: ${errorInfo(e).err}`, fallback, "no-route", { cause: e });
    }
    return this.dispatch(response, dest, requestFlow);
  }
  /** `requestFlow` set for responses: UDP answers from the socket the request came in on, WS peers are never dialled. */
  async dispatch(message, dest, requestFlow) {
    try {
      if (this.closed) throw new TransportError("transport layer closed", dest, "closed");
      let data;
      try {
        data = message.toBuffer();
      } catch (e) {
        throw new TransportError(`cannot serialise message: ${errorInfo(e).err}`, dest, "send-failed", { cause: e });
      }
      if (dest.protocol === "udp") await this.sendUdp(message, data, dest, requestFlow);
      else await this.sendStream(data, dest, requestFlow === void 0);
    } catch (e) {
      const err = e instanceof TransportError ? e : new TransportError(errorInfo(e).err, dest, "send-failed", { cause: e });
      this.counters.p[err.destination.protocol].sendFailures++;
      this.logger.debug({ ...errorInfo(err), code: err.code, protocol: dest.protocol, to: hostPort(dest.address, dest.port) }, "send failed");
      throw err;
    }
  }
  async sendUdp(message, data, dest, requestFlow) {
    const u = this.opts.udp;
    if (message.isRequest() && dest.allowTcpSwitch === true && data.length > u.mtuThreshold && this.streams.tcp.length > 0) {
      if (await this.sendSwitchedToTcp(message, dest, data.length)) return;
    }
    if (data.length > u.maxDatagramSize) {
      throw new TransportError(`message of ${data.length} bytes exceeds the UDP maximum of ${u.maxDatagramSize}`, dest, "too-large");
    }
    const t = this.pickUdp(dest.address, requestFlow);
    if (t === void 0) throw new TransportError(`no UDP socket can reach ${dest.address}`, dest, "no-route");
    try {
      await t.send(data, dest.address, dest.port);
    } catch (e) {
      throw new TransportError(`udp send to ${hostPort(dest.address, dest.port)} failed: ${errorInfo(e).err}`, dest, "send-failed", { cause: e });
    }
    const s = this.counters.p.udp;
    s.messagesOut++;
    s.bytesOut += data.length;
  }
  /**
   * RFC 3261 §18.1.1: a request above the MTU threshold goes over TCP, with its
   * top Via rewritten to our TCP listening point. If the connection cannot be
   * made, the Via is restored and the caller falls back to UDP (if it fits).
   */
  async sendSwitchedToTcp(message, dest, size) {
    let via;
    try {
      via = message.topVia;
    } catch {
      return false;
    }
    const saved = { transport: via.transport, host: via.host, port: via.port };
    const lp = this.streams.tcp[0].listeningPoint();
    via.transport = "TCP";
    via.host = addressFamily(lp.address) === 6 ? `[${normalizeAddress(lp.address)}]` : lp.address;
    via.port = lp.port;
    try {
      await this.sendStream(message.toBuffer(), { protocol: "tcp", address: dest.address, port: dest.port }, true);
      return true;
    } catch (e) {
      via.transport = saved.transport;
      via.host = saved.host;
      via.port = saved.port;
      if (size > this.opts.udp.maxDatagramSize) throw e;
      this.logger.debug({ ...errorInfo(e), to: hostPort(dest.address, dest.port) }, "tcp for a large request failed, falling back to udp");
      return false;
    }
  }
  pickUdp(address, requestFlow) {
    if (requestFlow !== void 0) {
      const same = this.udp.find((t) => t.localPort === requestFlow.localPort && t.localAddress === normalizeAddress(requestFlow.localAddress));
      if (same !== void 0) return same;
    }
    const f = addressFamily(address);
    return this.udp.find((t) => t.family === f) ?? this.udp.find((t) => t.canReach(address));
  }
  async sendStream(data, dest, mayConnect) {
    const protocol = dest.protocol;
    if (data.length > this.opts.maxMessageSize) {
      throw new TransportError(`message of ${data.length} bytes exceeds the maximum of ${this.opts.maxMessageSize}`, dest, "too-large");
    }
    let conn = dest.connectionId !== void 0 ? this.table.get(dest.connectionId) : void 0;
    conn ??= this.table.find(protocol, dest.address, dest.port);
    if (conn === void 0) {
      const isWs3 = protocol === "ws" || protocol === "wss";
      if (isWs3 && (!mayConnect || normalizeAddress(dest.address).endsWith(".invalid"))) {
        throw new TransportError(`the ${protocol} connection to ${hostPort(dest.address, dest.port)} is gone`, dest, "connection-closed");
      }
      conn = await this.connect(protocol, dest);
    }
    try {
      await conn.send(data);
    } catch (e) {
      throw new TransportError(`${protocol} send on ${conn.id} failed: ${errorInfo(e).err}`, dest, "send-failed", { cause: e });
    }
    this.counters.p[protocol].messagesOut++;
  }
  connect(protocol, dest) {
    const key2 = remoteKey(protocol, dest.address, dest.port);
    const inFlight = this.pending.get(key2);
    if (inFlight !== void 0) return inFlight;
    const f = addressFamily(dest.address);
    const candidates = this.streams[protocol];
    const t = candidates.find((c) => f === 0 || c.family === f) ?? candidates[0];
    if (t === void 0) return Promise.reject(new TransportError(`no ${protocol} listening point`, dest, "no-route"));
    const p = t.connect(dest.address, dest.port).then((conn) => {
      this.table.index(conn, key2);
      return conn;
    });
    this.pending.set(key2, p);
    const clear = () => {
      if (this.pending.get(key2) === p) this.pending.delete(key2);
    };
    p.then(clear, clear);
    return p;
  }
  // ----------------------------------------------------------------- contract
  listeningPoint(protocol) {
    return this.transports.find((t) => t.protocol === protocol)?.listeningPoint();
  }
  listeningPoints() {
    return this.transports.map((t) => t.listeningPoint());
  }
  isReliable(protocol) {
    return protocol !== "udp";
  }
  on(event, handler) {
    this.handlers[event].add(handler);
  }
  off(event, handler) {
    this.handlers[event].delete(handler);
  }
  emit(event, arg) {
    for (const h of this.handlers[event]) {
      callSafely(this.logger, event, () => h(arg));
    }
  }
  stats() {
    return this.counters.snapshot();
  }
  isConnectionOpen(connectionId) {
    return this.table.get(connectionId) !== void 0;
  }
  retainConnection(connectionId) {
    const conn = this.table.get(connectionId);
    if (conn === void 0) return void 0;
    conn.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      conn.holds--;
      conn.lastActivity = Date.now();
    };
  }
  closeConnection(connectionId, reason = "closed by application") {
    this.table.get(connectionId)?.close(reason);
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer !== void 0) clearInterval(this.sweepTimer);
    for (const conn of this.table.all()) conn.close("transport layer closed", true);
    await Promise.allSettled(this.transports.map((t) => t.close()));
    for (const set of Object.values(this.handlers)) set.clear();
  }
};

// src/sip/dialog/dialog.ts
function dialogKey(callId, localTag, remoteTag) {
  return `${callId}
${localTag}
${remoteTag}`;
}
var TARGET_REFRESH = /* @__PURE__ */ new Set(["INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"]);
var Dialog = class _Dialog {
  constructor(role, callId, localTag, remoteTag, localUri, remoteUri, remoteTarget, routeSet, localSeq, remoteSeq, localContact, state) {
    this.role = role;
    this.callId = callId;
    this.localTag = localTag;
    this.remoteTag = remoteTag;
    this.localUri = localUri;
    this.remoteUri = remoteUri;
    this.localContact = localContact;
    this.remoteTarget = remoteTarget;
    this.routeSet = routeSet;
    this.localSeq = localSeq;
    this.remoteSeq = remoteSeq;
    this.state = state;
    this.lastInviteSeq = role === "uac" ? localSeq : remoteSeq ?? 0;
  }
  role;
  callId;
  localTag;
  remoteTag;
  localUri;
  remoteUri;
  localContact;
  state;
  localSeq;
  remoteSeq;
  remoteTarget;
  routeSet;
  /** Send in-dialog requests here instead of the route set / remote target (NAT'd or WebSocket peers). */
  destinationOverride;
  /** CSeq of the INVITE (initial or re-INVITE) whose 2xx we last ACKed or expect an ACK for. */
  lastInviteSeq;
  /** Transaction in progress on each side, for re-INVITE glare detection (§14.1 → 491). */
  pendingInviteOut = false;
  pendingInviteIn = false;
  /** The dialog user's object (a B2BUA call), for lookups from the dialog. */
  owner;
  /** The last ACK we sent for a 2xx, re-sent when that 2xx is retransmitted. */
  lastAck;
  /** Handler for in-dialog requests (set by the dialog's user, e.g. a B2BUA leg). */
  onRequest;
  /** A received re-INVITE waiting for the dialog user's answer (set by the UA core). */
  reinvite;
  /** Called when the dialog ends (BYE either way, or it was never confirmed). */
  onTerminated;
  /** The peer's Allow methods (upper case) as last advertised; undefined when it never said. */
  remoteAllow;
  /** The peer's Supported option tags (lower case) as last advertised. */
  remoteSupported;
  /** RFC 4028 session timer running on this dialog (set by SessionTimer). */
  sessionTimer;
  /** Whether the peer allows `method` (its Allow header): undefined when unknown. */
  allows(method) {
    return this.remoteAllow?.includes(method.toUpperCase());
  }
  /** Note the peer's Allow and Supported (from its INVITE, 1xx/2xx or a target refresh). */
  learnCapabilities(msg) {
    try {
      if (msg.has("allow")) this.remoteAllow = msg.getAll("allow").map((m) => m.trim().toUpperCase());
      if (msg.has("supported")) this.remoteSupported = msg.optionTags("supported");
    } catch {
    }
  }
  get key() {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }
  get id() {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }
  /** UAS side (§12.1.1): from the request we received and the tag we chose. */
  static fromUasRequest(req, localTag, localContact, flow, state) {
    const contact = req.contacts;
    const target = contact === "*" || contact[0] === void 0 ? req.from.uri : contact[0].uri;
    const localUri = req.to.clone();
    localUri.tag = localTag;
    const d = new _Dialog(
      "uas",
      req.callId,
      localTag,
      req.from.tag ?? "",
      localUri,
      req.from.clone(),
      target,
      req.recordRoutes.map((r) => r.clone()),
      0,
      req.cseq.seq,
      localContact,
      state
    );
    if (flow !== void 0) d.destinationOverride = flowDestination(flow);
    d.learnCapabilities(req);
    return d;
  }
  /** UAC side (§12.1.2): from our request and the (1xx with tag or 2xx) response. */
  static fromUacResponse(req, res, localContact, state) {
    const contact = res.contacts;
    const target = contact === "*" || contact[0] === void 0 ? req.uri : contact[0].uri;
    const d = new _Dialog(
      "uac",
      req.callId,
      req.from.tag ?? "",
      res.to.tag ?? "",
      req.from.clone(),
      res.to.clone(),
      target,
      res.recordRoutes.map((r) => r.clone()).reverse(),
      req.cseq.seq,
      void 0,
      localContact,
      state
    );
    d.learnCapabilities(res);
    return d;
  }
  /** Where in-dialog requests go. */
  destination() {
    return this.destinationOverride ?? nextHop(this.remoteTarget, this.routeSet);
  }
  /** Build an in-dialog request (§12.2.1.1). ACK and CANCEL are built elsewhere. */
  createRequest(method, options = {}) {
    this.localSeq += 1;
    const req = this.baseRequest(method, this.localSeq, method);
    if (method === "INVITE") this.lastInviteSeq = this.localSeq;
    if (TARGET_REFRESH.has(method)) req.set("contact", this.localContact);
    applyOptions(req, options);
    return req;
  }
  /** ACK for a 2xx (§13.2.2.4): the INVITE's CSeq number, method ACK. */
  createAck(inviteSeq, options = {}) {
    const req = this.baseRequest("ACK", inviteSeq, "ACK");
    applyOptions(req, options);
    return req;
  }
  /**
   * Check an in-dialog request's CSeq (§12.2.2). Returns a status to reject with,
   * or undefined when it is in order (the remote CSeq is then advanced).
   */
  receiveRequest(req) {
    const seq = req.cseq.seq;
    if (req.method === "ACK" || req.method === "CANCEL") return void 0;
    if (this.remoteSeq !== void 0 && seq <= this.remoteSeq) {
      return 500;
    }
    this.remoteSeq = seq;
    if (req.method === "INVITE") this.lastInviteSeq = seq;
    if (TARGET_REFRESH.has(req.method)) {
      this.refreshTarget(req);
      this.learnCapabilities(req);
    }
    return void 0;
  }
  /** A 2xx to our target-refresh request carries the peer's new Contact (§12.2.1.2). */
  refreshTargetFromResponse(res) {
    if (res.status >= 200 && res.status < 300 && TARGET_REFRESH.has(res.cseq.method)) this.refreshTarget(res);
    if (res.status > 100 && res.status < 300) this.learnCapabilities(res);
  }
  refreshTarget(msg) {
    try {
      const c = msg.contacts;
      if (c !== "*" && c[0] !== void 0) this.remoteTarget = c[0].uri;
    } catch {
    }
  }
  baseRequest(method, seq, cseqMethod) {
    const req = new SipRequest(method, this.remoteTarget.toString());
    req.set("max-forwards", "70");
    for (const r of this.routeSet) req.append("route", r.toString());
    req.set("from", this.localUri.toString());
    req.set("to", this.remoteUri.toString());
    req.set("call-id", this.callId);
    req.set("cseq", new CSeq(seq, cseqMethod).toString());
    return req;
  }
};
function applyOptions(req, options) {
  if (options.headers !== void 0) {
    for (const [name, value] of Object.entries(options.headers)) req.set(name, value);
  }
  if (options.body !== void 0) req.setBody(options.body, options.contentType ?? "application/sdp");
}
function flowDestination(flow) {
  const d = { protocol: flow.protocol, address: flow.remoteAddress, port: flow.remotePort };
  if (flow.connectionId !== void 0) d.connectionId = flow.connectionId;
  return d;
}

// src/sip/extensions/replaces.ts
function matchReplaces(replaces, lookup) {
  const dialog = lookup(replaces.callId, replaces.toTag, replaces.fromTag);
  if (dialog === void 0) return { ok: false, status: 481, reason: "Call/Transaction Does Not Exist" };
  if (dialog.state === "terminated") return { ok: false, status: 603, reason: "Decline", dialog };
  if (dialog.state === "early" && dialog.role === "uas") return { ok: false, status: 481, reason: "Call/Transaction Does Not Exist", dialog };
  if (replaces.earlyOnly && dialog.state === "confirmed") return { ok: false, status: 486, reason: "Busy Here", dialog };
  return { ok: true, dialog };
}

// src/sip/ua/incoming-invite.ts
var IncomingInvite = class {
  constructor(request, tx, flow, registry, localContact, timers, existing) {
    this.request = request;
    this.tx = tx;
    this.flow = flow;
    this.registry = registry;
    this.localContact = localContact;
    this.timers = timers;
    this.dialog = existing;
    this.reliability = reliabilityOf(request);
  }
  request;
  tx;
  flow;
  registry;
  localContact;
  timers;
  localTag = newTag();
  dialog;
  /** Set once a final response was sent (or, for a 2xx held back until a PRACK, decided). */
  finalStatus;
  /** Called when the caller CANCELs (the layer already answered 200 to the CANCEL). */
  onCancel;
  /** Called when the 2xx ACK arrives (with the ACK, which may carry the SDP answer). */
  onAck;
  /** Called when no ACK came for our 2xx within 64*T1 (§13.3.1.4: the UAS should BYE). */
  onAckTimeout;
  /**
   * Called when the PRACK of a reliable provisional arrives (its body may answer
   * the offer of the provisional, or carry a new offer). The 200 to the PRACK
   * carries what it returns (or resolves to); a rejected promise gives 500.
   */
  onPrack;
  /** Called when a reliable provisional got no PRACK within 64*T1: the INVITE was rejected with 500. */
  onPrackTimeout;
  /** Internal hook for the UA core (bookkeeping of pending INVITEs). */
  onFinalSent;
  /** Allow header value for our 2xx (§13.3.1.4 SHOULD), set by the UA core; the TU's own Allow wins. */
  allowHeader;
  /** Internal hook for the UA core: PRACKs on `dialog` are to be routed here while `pending`. */
  onPrackPending;
  retransmitTimer;
  giveUpAt = 0;
  interval = 0;
  okResponse;
  // RFC 3262 state
  reliability;
  rseq;
  unacked;
  queue = [];
  reliableTimer;
  reliableInterval = 0;
  reliableGiveUpAt = 0;
  heldOk;
  get cancelled() {
    return this.tx.cancelled;
  }
  /** Whether the INVITE lets us send reliable provisionals: 'required', 'supported' or undefined. */
  get reliableProvisionals() {
    return this.reliability;
  }
  /** RSeq of the reliable provisional waiting for its PRACK, if any. */
  get awaitingPrack() {
    return this.unacked?.rseq;
  }
  /** A 2xx decided by accept() but held until the PRACK of a provisional with a body. */
  get answerHeld() {
    return this.heldOk !== void 0;
  }
  /**
   * Send a provisional response; one with a tag creates the early dialog (§12.1.1).
   * A reliable one (see ResponseOptions.reliable) may be queued behind an
   * unacknowledged one: the response object is returned at once, its RSeq is set
   * when it is actually sent.
   */
  progress(status, options = {}) {
    if (this.finalStatus !== void 0) throw new Error("INVITE already answered");
    const res = this.buildResponse(status, options);
    if (status > 100 && this.dialog === void 0) {
      this.dialog = Dialog.fromUasRequest(this.request, this.localTag, this.localContact, this.flow, "early");
      this.registry.register(this.dialog);
    }
    const reliable = status > 100 && this.reliability !== void 0 && (options.reliable === true || this.reliability === "required");
    if (!reliable) {
      this.tx.respond(res);
      return res;
    }
    addOptionTag(res, "require", TAG_100REL);
    if (this.unacked !== void 0) this.queue.push(res);
    else this.sendReliable(res);
    return res;
  }
  /**
   * Send 2xx: the dialog is confirmed; the 2xx is retransmitted until ACK. Held
   * back (and sent by the PRACK) while a reliable provisional with a body is
   * unacknowledged; reliable provisionals still queued are dropped.
   */
  accept(options = {}, status = 200) {
    if (this.finalStatus !== void 0) throw new Error("INVITE already answered");
    this.finalStatus = status;
    const res = this.buildResponse(status, options);
    if (this.dialog === void 0) {
      this.dialog = Dialog.fromUasRequest(this.request, this.localTag, this.localContact, this.flow, "confirmed");
      this.registry.register(this.dialog);
    }
    this.queue.length = 0;
    if (this.unacked?.hasBody === true) {
      this.heldOk = res;
      return this.dialog;
    }
    this.sendOk(res);
    return this.dialog;
  }
  /** Final non-2xx response; an early dialog is discarded. */
  reject(status, options = {}) {
    if (this.finalStatus !== void 0) return;
    this.finalStatus = status;
    this.sendReject(this.buildResponse(status, options));
  }
  /** The ACK for our 2xx arrived (dispatched by the UA core). */
  ackReceived(ack) {
    if (this.retransmitTimer === void 0) return;
    this.stopRetransmit();
    this.onAck?.(ack);
  }
  /**
   * Stop the 2xx retransmission (ACK received or the call is being torn down).
   * A 2xx still held for a PRACK is given up: the INVITE gets 500 instead, so
   * that its transaction ends.
   */
  stopRetransmit() {
    if (this.retransmitTimer !== void 0) clearTimeout(this.retransmitTimer);
    this.retransmitTimer = void 0;
    this.okResponse = void 0;
    if (this.heldOk !== void 0) {
      this.heldOk = void 0;
      this.stopReliable();
      this.sendReject(this.buildResponse(500, {}));
      this.finalStatus = 500;
    }
  }
  get awaitingAck() {
    return this.retransmitTimer !== void 0;
  }
  /**
   * A PRACK on this INVITE's dialog (dispatched by the UA core, §3): 200 when its
   * RAck matches the unacknowledged reliable provisional, 481 otherwise, 400
   * without a valid RAck. Then the next queued provisional, or the held 2xx, goes out.
   */
  receivePrack(prack, tx) {
    let rack;
    try {
      const v = prack.get("rack");
      if (v === void 0) throw new Error("missing RAck");
      rack = parseRAck(v);
    } catch (e) {
      tx.respond(createResponse(prack, 400, `Bad Request - ${e.message.slice(0, 40)}`));
      return;
    }
    const u = this.unacked;
    const cseq = this.request.cseq;
    if (u === void 0 || rack.rseq !== u.rseq || rack.cseq !== cseq.seq || rack.method !== cseq.method) {
      tx.respond(createResponse(prack, 481));
      return;
    }
    this.unacked = void 0;
    this.stopReliable();
    const finish = (answer2) => {
      const res = createResponse(prack, 200);
      if (answer2 !== void 0) applyOptions2(res, answer2);
      tx.respond(res);
      this.afterPrack();
    };
    let answer;
    try {
      answer = this.onPrack?.(prack);
    } catch {
      tx.respond(createResponse(prack, 500));
      this.afterPrack();
      return;
    }
    if (answer instanceof Promise) {
      answer.then(finish, () => {
        tx.respond(createResponse(prack, 500));
        this.afterPrack();
      });
    } else finish(answer);
  }
  // ---------------------------------------------------------------- internals
  afterPrack() {
    if (this.unacked !== void 0) return;
    const next = this.finalStatus === void 0 ? this.queue.shift() : void 0;
    if (next !== void 0) {
      this.sendReliable(next);
      return;
    }
    if (this.dialog !== void 0) this.onPrackPending?.(this.dialog, false);
    const held = this.heldOk;
    if (held !== void 0) {
      this.heldOk = void 0;
      this.sendOk(held);
    }
  }
  sendReliable(res) {
    this.rseq = this.rseq === void 0 ? initialRSeq() : this.rseq + 1;
    res.set("rseq", String(this.rseq));
    this.unacked = { response: res, rseq: this.rseq, hasBody: res.body.length > 0 };
    this.tx.respond(res);
    if (this.dialog !== void 0) this.onPrackPending?.(this.dialog, true);
    this.reliableInterval = this.timers.t1Ms;
    this.reliableGiveUpAt = Date.now() + 64 * this.timers.t1Ms;
    this.reliableTimer = setTimeout(() => this.retransmitReliable(), this.reliableInterval);
  }
  retransmitReliable() {
    this.reliableTimer = void 0;
    const u = this.unacked;
    if (u === void 0) return;
    const left = this.reliableGiveUpAt - Date.now();
    if (left <= 0) {
      this.prackTimedOut();
      return;
    }
    if (this.finalStatus !== void 0 && this.heldOk === void 0) return;
    this.tx.respond(u.response);
    this.reliableInterval *= 2;
    this.reliableTimer = setTimeout(() => this.retransmitReliable(), Math.min(this.reliableInterval, left));
  }
  /** §3: "If a reliable provisional response is retransmitted for 64*T1 seconds without reception of a corresponding PRACK, the UAS SHOULD reject the original request with a 5xx response." */
  prackTimedOut() {
    this.unacked = void 0;
    this.queue.length = 0;
    const dialog = this.dialog;
    if (dialog !== void 0) this.onPrackPending?.(dialog, false);
    const held = this.heldOk !== void 0;
    this.heldOk = void 0;
    if (this.finalStatus === void 0 || held) {
      this.finalStatus = 500;
      this.sendReject(this.buildResponse(500, { reason: "Server Internal Error - no PRACK" }));
      if (held) dialog?.onTerminated?.();
    }
    this.onPrackTimeout?.();
  }
  stopReliable() {
    if (this.reliableTimer !== void 0) clearTimeout(this.reliableTimer);
    this.reliableTimer = void 0;
  }
  sendOk(res) {
    const dialog = this.dialog;
    if (dialog.state === "early") dialog.state = "confirmed";
    this.stopReliable();
    this.okResponse = res;
    this.tx.respond(res);
    this.onFinalSent?.(res.status);
    const reliable = this.flow.protocol !== "udp";
    this.interval = this.timers.t1Ms;
    this.giveUpAt = Date.now() + 64 * this.timers.t1Ms;
    this.retransmitTimer = setTimeout(() => this.retransmit(reliable), reliable ? 64 * this.timers.t1Ms : this.interval);
  }
  sendReject(res) {
    this.queue.length = 0;
    this.stopReliable();
    if (this.unacked !== void 0 && this.dialog !== void 0) this.onPrackPending?.(this.dialog, false);
    this.unacked = void 0;
    this.tx.respond(res);
    this.onFinalSent?.(res.status);
    if (this.dialog !== void 0 && this.dialog.state === "early") {
      this.dialog.state = "terminated";
      this.registry.unregister(this.dialog);
    }
  }
  retransmit(reliable) {
    this.retransmitTimer = void 0;
    if (this.okResponse === void 0) return;
    if (reliable || Date.now() >= this.giveUpAt) {
      this.okResponse = void 0;
      this.onAckTimeout?.();
      return;
    }
    this.tx.respond(this.okResponse);
    this.interval = Math.min(this.interval * 2, this.timers.t2Ms);
    this.retransmitTimer = setTimeout(() => this.retransmit(false), this.interval);
  }
  buildResponse(status, options) {
    const res = createResponse(this.request, status, options.reason, status > 100 ? this.localTag : void 0);
    if (status > 100 && status < 300) {
      const rr = this.request.getAll("record-route");
      if (rr.length > 0) res.set("record-route", rr);
      res.set("contact", this.localContact);
      if (status >= 200 && this.allowHeader !== void 0) res.set("allow", this.allowHeader);
    }
    applyOptions2(res, options);
    return res;
  }
};
function applyOptions2(res, options) {
  if (options.headers !== void 0) for (const [k, v] of Object.entries(options.headers)) res.set(k, v);
  if (options.body !== void 0) res.setBody(options.body, options.contentType ?? "application/sdp");
}

// src/sip/ua/outgoing-invite.ts
function sequenceReliable(response, last) {
  const rseq = reliableRSeq(response);
  if (rseq === void 0) return void 0;
  if (last !== void 0 && rseq !== last + 1) return "drop";
  return rseq;
}
function sendPrackFor(sender, dialog, response, options = {}) {
  const rseq = reliableRSeq(response);
  if (rseq === void 0) return Promise.reject(new Error("not a reliable provisional response"));
  if (sender.sendPrack === void 0) return Promise.reject(new Error("this UA core cannot send PRACK"));
  const rack = serializeRAck({ rseq, cseq: response.cseq.seq, method: response.cseq.method });
  return sender.sendPrack(dialog, { ...options, headers: { ...options.headers ?? {}, rack } });
}
var OutgoingInvite = class {
  constructor(request, destination, handlers, registry, sender, localContact) {
    this.request = request;
    this.destination = destination;
    this.handlers = handlers;
    this.registry = registry;
    this.sender = sender;
    this.localContact = localContact;
  }
  request;
  destination;
  handlers;
  registry;
  sender;
  localContact;
  tx;
  earlyDialogs = /* @__PURE__ */ new Map();
  answered;
  finalStatus;
  autoAck = true;
  /** false: reliable provisionals are never PRACKed by the UA core (the TU calls prack()). */
  autoPrack = true;
  cancelRequested;
  /** Last in-order RSeq per early dialog (To tag). */
  rseqs = /* @__PURE__ */ new Map();
  /** CANCEL the INVITE (§9.1); the transaction defers it until a provisional arrives. */
  cancel(reason) {
    if (this.finalStatus !== void 0) return;
    this.cancelRequested = reason ?? "";
    this.tx?.cancel(reason);
  }
  get cancelling() {
    return this.cancelRequested !== void 0;
  }
  /** Send (or re-send) the ACK for a 2xx on `dialog` (§13.2.2.4). */
  ack(dialog, options = {}) {
    const ack = dialog.createAck(dialog.lastInviteSeq, options);
    dialog.lastAck = ack;
    this.sender.sendAck(ack, dialog.destination());
  }
  /**
   * PRACK a reliable provisional received on `dialog` (§4: RAck from its RSeq and
   * CSeq), with an optional body. For the TU that took over from the UA core.
   */
  prack(dialog, response, options = {}) {
    return sendPrackFor(this.sender, dialog, response, options);
  }
  onResponse(response, _tx) {
    const status = response.status;
    const toTag = response.to.tag;
    if (status < 200) {
      if (status === 100) return;
      let dialog;
      if (toTag !== void 0 && this.finalStatus === void 0) {
        dialog = this.earlyDialogs.get(toTag);
        if (dialog === void 0) {
          dialog = Dialog.fromUacResponse(this.request, response, this.localContact, "early");
          this.earlyDialogs.set(toTag, dialog);
          this.registry.register(dialog);
        } else dialog.refreshTargetFromResponse(response);
      }
      if (this.finalStatus !== void 0) return;
      if (dialog !== void 0 && toTag !== void 0) {
        const rseq = sequenceReliable(response, this.rseqs.get(toTag));
        if (rseq === "drop") return;
        if (rseq !== void 0) {
          this.rseqs.set(toTag, rseq);
          this.handlers.onProvisional?.(response, dialog);
          const tuSends = this.handlers.onReliableProvisional?.(response, dialog) === true;
          if (!tuSends && this.autoPrack) this.prack(dialog, response).catch(() => void 0);
          return;
        }
      }
      this.handlers.onProvisional?.(response, dialog);
      return;
    }
    if (status < 300) {
      this.on2xx(response, toTag ?? "");
      return;
    }
    if (this.finalStatus !== void 0) return;
    this.finalStatus = status;
    this.dropEarlyDialogs();
    this.handlers.onFailure(response);
  }
  onTimeout() {
    this.fail(408, "Request Timeout");
  }
  onTransportError(error) {
    this.fail(503, `Service Unavailable - ${error.message.slice(0, 60)}`);
  }
  fail(status, reason) {
    if (this.finalStatus !== void 0) return;
    this.finalStatus = status;
    this.dropEarlyDialogs();
    this.handlers.onFailure(createResponse(this.request, status, reason));
  }
  on2xx(response, toTag) {
    const known = this.answered?.remoteTag === toTag ? this.answered : void 0;
    if (known !== void 0) {
      if (known.lastAck !== void 0) this.sender.sendAck(known.lastAck, known.destination());
      return;
    }
    let dialog = this.earlyDialogs.get(toTag);
    if (dialog !== void 0) {
      this.earlyDialogs.delete(toTag);
      dialog.state = "confirmed";
      dialog.refreshTargetFromResponse(response);
      dialog.routeSet = response.recordRoutes.map((r) => r.clone()).reverse();
    } else {
      dialog = Dialog.fromUacResponse(this.request, response, this.localContact, "confirmed");
      this.registry.register(dialog);
    }
    if (this.answered === void 0 && (this.finalStatus === void 0 || this.finalStatus < 300)) {
      this.finalStatus = response.status;
      this.answered = dialog;
      this.handlers.onAnswer(response, dialog);
      if (this.autoAck && dialog.lastAck === void 0) this.ack(dialog);
      return;
    }
    this.ack(dialog);
    if (this.handlers.onExtraAnswer !== void 0) this.handlers.onExtraAnswer(response, dialog);
    else this.sender.byeUnwanted(dialog);
  }
  /** Remaining early dialogs once the INVITE is finished. */
  dropEarlyDialogs() {
    for (const d of this.earlyDialogs.values()) {
      d.state = "terminated";
      this.registry.unregister(d);
    }
    this.earlyDialogs.clear();
  }
  onTerminated() {
    this.dropEarlyDialogs();
  }
};

// src/sip/ua/user-agent-core.ts
var UserAgentCore = class {
  constructor(handlers, options) {
    this.handlers = handlers;
    this.options = options;
    this.allow = options.allow.join(", ");
    this.supported = options.supported ?? DEFAULT_SUPPORTED;
  }
  handlers;
  options;
  dialogs = /* @__PURE__ */ new Map();
  /** Option tags we support (see UserAgentOptions.supported). */
  supported;
  invitesByTx = /* @__PURE__ */ new Map();
  awaitingAck = /* @__PURE__ */ new Map();
  /** IncomingInvites with a reliable provisional awaiting its PRACK, by dialog key. */
  prackTargets = /* @__PURE__ */ new Map();
  transactions;
  allow;
  /** The transaction layer needs its TU first, so it is attached after construction. */
  attach(transactions) {
    this.transactions = transactions;
  }
  get sizes() {
    return { dialogs: this.dialogs.size, pendingInvites: this.invitesByTx.size, awaitingAck: this.awaitingAck.size, awaitingPrack: this.prackTargets.size };
  }
  // ------------------------------------------------------------ DialogRegistry
  register(dialog) {
    this.dialogs.set(dialog.key, dialog);
  }
  unregister(dialog) {
    if (this.dialogs.get(dialog.key) === dialog) this.dialogs.delete(dialog.key);
    this.prackTargets.delete(dialog.key);
    dialog.sessionTimer?.stop();
    for (const [k, inv] of this.awaitingAck) {
      if (inv.dialog === dialog) {
        inv.stopRetransmit();
        this.awaitingAck.delete(k);
      }
    }
  }
  // ------------------------------------------------------------ UAC side
  /** A new out-of-dialog request with fresh tag, Call-ID and CSeq (§8.1.1). */
  createRequest(p) {
    const req = new SipRequest(p.method, p.uri);
    req.set("max-forwards", "70");
    req.set("from", `${p.from};tag=${newTag()}`);
    req.set("to", p.to);
    req.set("call-id", p.callId ?? newCallId());
    req.set("cseq", new CSeq(p.cseq ?? 1, p.method).toString());
    if (p.contact !== void 0) req.set("contact", p.contact);
    if (p.options?.headers !== void 0) for (const [k, v] of Object.entries(p.options.headers)) req.set(k, v);
    if (p.options?.body !== void 0) req.setBody(p.options.body, p.options.contentType ?? "application/sdp");
    return req;
  }
  /** Send an initial INVITE; forks create early dialogs, the first 2xx the dialog. */
  invite(request, destination, handlers) {
    if (!request.has("contact")) request.set("contact", this.options.contact(destination.protocol));
    if (!request.has("allow")) request.set("allow", this.allow);
    const out = new OutgoingInvite(request, destination, handlers, this, this, request.get("contact"));
    out.tx = this.transactions.sendRequest(request, destination, out);
    return out;
  }
  /**
   * Send a re-INVITE on a confirmed dialog (§14.1). Only one may be pending per
   * direction: returns undefined (the caller retries later) while one is.
   */
  reinvite(dialog, options, handlers) {
    if (dialog.pendingInviteOut || dialog.state !== "confirmed") return void 0;
    const request = dialog.createRequest("INVITE", options);
    if (!request.has("allow")) request.set("allow", this.allow);
    dialog.sessionTimer?.decorateRefresh(request);
    dialog.pendingInviteOut = true;
    const out = new ReInvite(request, dialog.destination(), handlers, this, dialog);
    out.tx = this.transactions.sendRequest(request, out.destination, out);
    return out;
  }
  /** Send a non-INVITE request; resolves with the final response (408/503 synthesised). */
  request(request, destination) {
    return new Promise((resolve2) => {
      const user2 = {
        onResponse: (res) => {
          if (res.status >= 200) resolve2(res);
        },
        onTimeout: () => resolve2(createResponse(request, 408, "Request Timeout")),
        onTransportError: (e) => resolve2(createResponse(request, 503, `Service Unavailable - ${e.message.slice(0, 60)}`))
      };
      this.transactions.sendRequest(request, destination, user2);
    });
  }
  /** An in-dialog non-INVITE request (BYE, INFO, UPDATE, REFER, NOTIFY, PRACK...). */
  dialogRequest(dialog, method, options = {}) {
    const req = dialog.createRequest(method, options);
    const timer = method === "UPDATE" ? dialog.sessionTimer : void 0;
    timer?.decorateRefresh(req);
    const p = this.request(req, dialog.destination());
    if (method === "BYE") {
      dialog.state = "terminated";
      this.unregister(dialog);
    } else {
      void p.then((res) => {
        dialog.refreshTargetFromResponse(res);
        if (timer !== void 0 && dialog.sessionTimer === timer) timer.refreshAnswered(res);
        if (res.status === 481 || res.status === 408) this.endDialog(dialog);
      });
    }
    return p;
  }
  /** A PRACK in an (early) dialog (RFC 3262); `options.headers.rack` must be set (see OutgoingInvite.prack). */
  sendPrack(dialog, options) {
    const req = dialog.createRequest("PRACK", options);
    return this.request(req, dialog.destination());
  }
  /**
   * The dialog an INVITE with Replaces names (RFC 3891 §3), or the status to
   * reject the INVITE with: 481 (no such dialog, or an early dialog we did not
   * initiate), 486 (early-only but confirmed), 603 (terminated).
   */
  findDialogForReplaces(replaces) {
    return matchReplaces(replaces, (callId, localTag, remoteTag) => this.dialogs.get(dialogKey(callId, localTag, remoteTag)));
  }
  /**
   * Run an RFC 4028 session timer on a confirmed dialog, with the values the
   * initial INVITE negotiated (negotiateUas / negotiateUac). It stops by itself
   * when the dialog ends; `handlers.onExpired` is where the TU sends BYE.
   */
  startSessionTimer(dialog, session, config, handlers) {
    dialog.sessionTimer?.stop();
    return new SessionTimer(dialog, this, session, config, handlers);
  }
  /** 200 to OPTIONS (§11.2): what we allow, accept and support. */
  optionsResponse(request) {
    const res = createResponse(request, 200, void 0, newTag());
    res.set("allow", this.allow);
    res.set("accept", "application/sdp");
    if (this.supported.length > 0) res.set("supported", this.supported.join(", "));
    return res;
  }
  bye(dialog, options = {}) {
    if (dialog.state === "terminated") return Promise.resolve(createResponse(dialog.createRequest("BYE"), 481));
    const held = dialog.role === "uas" && dialog.state === "early" ? this.prackTargets.get(dialog.key) : void 0;
    if (held?.answerHeld === true) {
      held.stopRetransmit();
      dialog.onTerminated?.();
      return Promise.resolve(createResponse(dialog.createRequest("BYE"), 200));
    }
    const p = this.dialogRequest(dialog, "BYE", options);
    dialog.onTerminated?.();
    return p;
  }
  // ---------------------------------------------------------------- AckSender
  sendAck(ack, destination) {
    this.transactions.sendAck(ack, destination);
  }
  byeUnwanted(dialog) {
    void this.bye(dialog);
  }
  /**
   * §12.2.1.2 / §14.1: a re-INVITE answered 481 or 408 (or timed out) ends the
   * dialog. After 481 the peer has no dialog: we only forget ours. After 408 the
   * peer may still hold it: we send a BYE as well (best effort).
   */
  endDialogAfter(dialog, status) {
    if (dialog.state === "terminated") return;
    if (status === 408) void this.bye(dialog);
    else this.endDialog(dialog);
  }
  // ---------------------------------------------------------- TransactionUser
  onRequest(request, tx, flow) {
    const toTag = request.to.tag;
    if (toTag !== void 0) {
      this.inDialog(request, toTag, tx, flow);
      return;
    }
    if (tx === void 0) return;
    if (request.method === "INVITE") {
      if (this.rejectUnsupported(request, tx)) return;
      const inv = new IncomingInvite(request, tx, flow, this, this.options.contact(flow.protocol), this.options.timers);
      this.trackInvite(inv);
      this.handlers.onInvite(inv);
      return;
    }
    if (!this.options.allow.includes(request.method)) {
      const res = createResponse(request, 405, void 0, newTag());
      res.set("allow", this.allow);
      tx.respond(res);
      return;
    }
    if (this.rejectUnsupported(request, tx)) return;
    const handled = this.handlers.onRequest?.(request, tx, flow);
    if (handled === false || this.handlers.onRequest === void 0) this.answerUnhandled(request, tx);
  }
  onCancel(inviteTx, cancel) {
    const inv = this.invitesByTx.get(inviteTx.id);
    if (inv === void 0 || inv.finalStatus !== void 0) return;
    if (inv.onCancel !== void 0) inv.onCancel(cancel);
    else inv.reject(487);
  }
  onStrayResponse(response) {
    if (response.status < 200 || response.status >= 300 || response.cseq.method !== "INVITE") return;
    const d = this.dialogs.get(dialogKey(response.callId, response.from.tag ?? "", response.to.tag ?? ""));
    if (d?.lastAck !== void 0) this.transactions.sendAck(d.lastAck, d.destination());
  }
  // ----------------------------------------------------------------- internals
  trackInvite(inv) {
    this.invitesByTx.set(inv.tx.id, inv);
    inv.allowHeader = this.allow;
    inv.onPrackPending = (dialog, pending2) => {
      if (pending2) this.prackTargets.set(dialog.key, inv);
      else if (this.prackTargets.get(dialog.key) === inv) this.prackTargets.delete(dialog.key);
    };
    inv.onFinalSent = (status) => {
      this.invitesByTx.delete(inv.tx.id);
      if (inv.dialog !== void 0) inv.dialog.pendingInviteIn = false;
      if (status >= 200 && status < 300 && inv.dialog !== void 0) {
        this.awaitingAck.set(`${inv.dialog.key}
${inv.request.cseq.seq}`, inv);
        const onTimeout = inv.onAckTimeout;
        inv.onAckTimeout = () => {
          this.awaitingAck.delete(`${inv.dialog.key}
${inv.request.cseq.seq}`);
          onTimeout?.();
        };
      }
    };
  }
  inDialog(request, toTag, tx, flow) {
    const dialog = this.dialogs.get(dialogKey(request.callId, toTag, request.from.tag ?? ""));
    if (request.method === "ACK") {
      if (dialog === void 0) return;
      const k = `${dialog.key}
${request.cseq.seq}`;
      const inv = this.awaitingAck.get(k);
      if (inv !== void 0) {
        this.awaitingAck.delete(k);
        inv.ackReceived(request);
      }
      return;
    }
    if (tx === void 0) return;
    if (dialog === void 0 || dialog.state === "terminated") {
      tx.respond(createResponse(request, 481));
      return;
    }
    if (request.method === "INVITE" && this.rejectUnsupported(request, tx)) return;
    const bad2 = dialog.receiveRequest(request);
    if (bad2 !== void 0) {
      tx.respond(createResponse(request, bad2, "Server Internal Error - CSeq out of order"));
      return;
    }
    if (request.method === "PRACK") {
      const inv = this.prackTargets.get(dialog.key);
      if (inv !== void 0) inv.receivePrack(request, tx);
      else tx.respond(createResponse(request, 481));
      return;
    }
    if (request.method === "INVITE") {
      if (dialog.pendingInviteOut) {
        tx.respond(createResponse(request, 491));
        return;
      }
      if (dialog.pendingInviteIn) {
        const res = createResponse(request, 500, "Server Internal Error - re-INVITE pending");
        res.set("retry-after", String(Math.floor(Math.random() * 10)));
        tx.respond(res);
        return;
      }
      if (dialog.sessionTimer !== void 0) {
        const wrapped = dialog.sessionTimer.incomingRefresh(request, tx);
        if (wrapped === void 0) return;
        tx = wrapped;
      }
      dialog.pendingInviteIn = true;
      const inv = new IncomingInvite(request, tx, flow, this, dialog.localContact, this.options.timers, dialog);
      this.trackInvite(inv);
      if (dialog.onRequest === void 0) {
        inv.reject(488);
        return;
      }
      dialog.reinvite = inv;
      dialog.onRequest(request, tx);
      return;
    }
    if (request.method === "BYE") {
      dialog.state = "terminated";
      this.unregister(dialog);
      tx.respond(createResponse(request, 200));
      dialog.onTerminated?.();
      return;
    }
    if (request.method === "UPDATE" && dialog.sessionTimer !== void 0) {
      const wrapped = dialog.sessionTimer.incomingRefresh(request, tx);
      if (wrapped === void 0) return;
      tx = wrapped;
    }
    if (dialog.onRequest !== void 0) {
      dialog.onRequest(request, tx);
      return;
    }
    if (request.method === "OPTIONS") {
      const res = this.optionsResponse(request);
      tx.respond(res);
      return;
    }
    tx.respond(createResponse(request, request.method === "INFO" || request.method === "UPDATE" ? 200 : 501));
  }
  /** §8.2.2.3: a Require tag we do not support → 420 with Unsupported. Returns true when it answered. */
  rejectUnsupported(request, tx) {
    const missing = unsupportedRequired(request, this.supported);
    if (missing.length === 0) return false;
    const res = createResponse(request, 420, void 0, newTag());
    res.set("unsupported", missing.join(", "));
    tx.respond(res);
    return true;
  }
  /** A request outside a dialog that the TU did not handle. */
  answerUnhandled(request, tx) {
    if (tx.state !== "trying" && tx.state !== "proceeding") return;
    if (request.method === "OPTIONS") tx.respond(this.optionsResponse(request));
    else tx.respond(createResponse(request, 501, void 0, newTag()));
  }
  endDialog(dialog) {
    if (dialog.state === "terminated") return;
    dialog.state = "terminated";
    this.unregister(dialog);
    dialog.onTerminated?.();
  }
};
var ReInvite = class {
  constructor(request, destination, handlers, sender, dialog) {
    this.request = request;
    this.destination = destination;
    this.handlers = handlers;
    this.sender = sender;
    this.dialog = dialog;
  }
  request;
  destination;
  handlers;
  sender;
  dialog;
  tx;
  finalStatus;
  /** false: the user sends the ACK itself with ack() (e.g. offerless re-INVITE, answer in the ACK). */
  autoAck = true;
  /** false: reliable provisionals are never PRACKed automatically (the TU calls prack()). */
  autoPrack = true;
  lastRSeq;
  /** PRACK a reliable provisional to this re-INVITE (RFC 3262), optionally with a body. */
  prack(response, options = {}) {
    return sendPrackFor(this.sender, this.dialog, response, options);
  }
  cancel(reason) {
    if (this.finalStatus === void 0) this.tx?.cancel(reason);
  }
  ack(dialog, options = {}) {
    const ack = dialog.createAck(this.request.cseq.seq, options);
    dialog.lastAck = ack;
    this.sender.sendAck(ack, dialog.destination());
  }
  onResponse(response) {
    if (response.status < 200) {
      if (response.status <= 100 || this.finalStatus !== void 0) return;
      const rseq = sequenceReliable(response, this.lastRSeq);
      if (rseq === "drop") return;
      this.handlers.onProvisional?.(response, this.dialog);
      if (rseq !== void 0) {
        this.lastRSeq = rseq;
        const tuSends = this.handlers.onReliableProvisional?.(response, this.dialog) === true;
        if (!tuSends && this.autoPrack) this.prack(response).catch(() => void 0);
      }
      return;
    }
    if (response.status < 300) {
      if (this.finalStatus !== void 0) {
        if (this.dialog.lastAck !== void 0) this.sender.sendAck(this.dialog.lastAck, this.dialog.destination());
        return;
      }
      this.finalStatus = response.status;
      this.dialog.pendingInviteOut = false;
      this.dialog.refreshTargetFromResponse(response);
      this.dialog.sessionTimer?.refreshAnswered(response);
      this.handlers.onAnswer(response, this.dialog);
      if (this.autoAck && this.dialog.lastAck?.cseq.seq !== this.request.cseq.seq) this.ack(this.dialog);
      return;
    }
    this.finish(response);
  }
  onTimeout() {
    this.finish(createResponse(this.request, 408));
  }
  onTransportError() {
    this.finish(createResponse(this.request, 503));
  }
  finish(response) {
    if (this.finalStatus !== void 0) return;
    this.finalStatus = response.status;
    this.dialog.pendingInviteOut = false;
    this.dialog.sessionTimer?.refreshAnswered(response);
    this.handlers.onFailure(response);
    if (response.status === 481 || response.status === 408) this.sender.endDialogAfter?.(this.dialog, response.status);
  }
};

// src/sip/stack.ts
var DEFAULT_ALLOW = ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK", "REFER", "NOTIFY", "SUBSCRIBE", "MESSAGE"];
async function createSipStack(o) {
  const transport = await createTransportLayer(o);
  const contactCache = /* @__PURE__ */ new Map();
  const contact = (protocol) => {
    let c = contactCache.get(protocol);
    if (c !== void 0) return c;
    const lp = transport.listeningPoint(protocol) ?? transport.listeningPoints()[0];
    if (lp === void 0) throw new Error("no SIP listening point");
    const host = lp.address.includes(":") && !lp.address.startsWith("[") ? `[${lp.address}]` : lp.address;
    c = `<sip:${host}:${lp.port}${lp.protocol === "udp" ? "" : `;transport=${lp.protocol}`}>`;
    contactCache.set(protocol, c);
    return c;
  };
  const ua = new UserAgentCore(o.handlers, { timers: o.timers, contact, allow: o.allow ?? DEFAULT_ALLOW, ...o.supported !== void 0 ? { supported: o.supported } : {} });
  const transactions = new TransactionLayer(transport, ua, { timers: o.timers, ...o.logger !== void 0 ? { logger: o.logger } : {} });
  ua.attach(transactions);
  return {
    transport,
    transactions,
    ua,
    contact,
    async close() {
      transactions.close();
      await transport.close();
    }
  };
}

// src/state/types.ts
function bindingKey(b) {
  if (b.instanceId) return b.regId !== null && b.regId !== void 0 ? `inst:${b.instanceId}#${b.regId}` : `inst:${b.instanceId}`;
  return `uri:${b.contact}`;
}

// src/state/json-table.ts
var JsonTable = class {
  constructor(db, table, keyCols, expiryCol) {
    this.keyCols = keyCols;
    this.expiryCol = expiryCol;
    const cols = [...keyCols, expiryCol, "data"];
    this.upsertStmt = db.prepare(
      `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})
       ON CONFLICT (${keyCols.join(", ")}) DO UPDATE SET ${expiryCol} = excluded.${expiryCol}, data = excluded.data`
    );
    this.deleteStmt = db.prepare(`DELETE FROM ${table} WHERE ${keyCols.map((k) => `${k} = ?`).join(" AND ")}`);
    this.allStmt = db.prepare(`SELECT data FROM ${table}`);
  }
  keyCols;
  expiryCol;
  upsertStmt;
  deleteStmt;
  allStmt;
  save(key2, expiry, value) {
    this.upsertStmt.run(...key2, expiry, JSON.stringify(value));
  }
  delete(key2) {
    this.deleteStmt.run(...key2);
  }
  loadAll() {
    return this.allStmt.all().map((r) => JSON.parse(r.data));
  }
};

// src/state/local-stores.ts
var clone = (v) => structuredClone(v);
var LocalRegistrationStore = class {
  byAor = /* @__PURE__ */ new Map();
  table;
  constructor(db) {
    this.table = new JsonTable(db, "registrations", ["aor", "binding_key"], "expires_at");
    for (const b of this.table.loadAll()) this.mapFor(b.aor).set(bindingKey(b), b);
  }
  mapFor(aor) {
    let m = this.byAor.get(aor);
    if (!m) this.byAor.set(aor, m = /* @__PURE__ */ new Map());
    return m;
  }
  async put(binding) {
    const key2 = bindingKey(binding);
    const m = this.mapFor(binding.aor);
    const prev = m.get(key2);
    const b = clone(binding);
    this.table.save([b.aor, key2], b.expiresAt, b);
    m.set(key2, b);
    return prev ? clone(prev) : void 0;
  }
  async get(aor, key2) {
    const b = this.byAor.get(aor)?.get(key2);
    return b ? clone(b) : void 0;
  }
  async remove(aor, key2) {
    const m = this.byAor.get(aor);
    if (!m?.has(key2)) return false;
    this.table.delete([aor, key2]);
    m.delete(key2);
    if (m.size === 0) this.byAor.delete(aor);
    return true;
  }
  async removeAll(aor) {
    const m = this.byAor.get(aor);
    if (!m) return [];
    const out = [...m.values()];
    for (const k of m.keys()) this.table.delete([aor, k]);
    this.byAor.delete(aor);
    return out;
  }
  async list(aor, now = Date.now()) {
    const m = this.byAor.get(aor);
    if (!m) return [];
    return [...m.values()].filter((b) => b.expiresAt > now).sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt).map(clone);
  }
  async listAors(now = Date.now()) {
    return [...this.byAor.entries()].filter(([, m]) => [...m.values()].some((b) => b.expiresAt > now)).map(([aor]) => aor);
  }
  async sweep(now) {
    const out = [];
    for (const [aor, m] of this.byAor) {
      for (const [k, b] of m) {
        if (b.expiresAt <= now) {
          this.table.delete([aor, k]);
          m.delete(k);
          out.push(b);
        }
      }
      if (m.size === 0) this.byAor.delete(aor);
    }
    return out;
  }
};
var LocalPendingDvoStore = class {
  byDevice = /* @__PURE__ */ new Map();
  table;
  constructor(db) {
    this.table = new JsonTable(db, "pending_dvo", ["device_id"], "expires_at");
    for (const r of this.table.loadAll()) this.byDevice.set(r.deviceId, r);
  }
  async create(rec) {
    if (this.byDevice.has(rec.deviceId)) return false;
    const r = clone(rec);
    this.table.save([r.deviceId], r.expiresAt, r);
    this.byDevice.set(r.deviceId, r);
    return true;
  }
  async get(deviceId) {
    const r = this.byDevice.get(deviceId);
    return r ? clone(r) : void 0;
  }
  async take(deviceId) {
    const r = this.byDevice.get(deviceId);
    if (!r) return void 0;
    this.table.delete([deviceId]);
    this.byDevice.delete(deviceId);
    return r;
  }
  async remove(deviceId) {
    return await this.take(deviceId) !== void 0;
  }
  async list() {
    return [...this.byDevice.values()].map(clone);
  }
  async sweep(now) {
    const out = [];
    for (const [k, r] of this.byDevice) {
      if (r.expiresAt <= now) {
        this.table.delete([k]);
        this.byDevice.delete(k);
        out.push(r);
      }
    }
    return out;
  }
};
var LocalResumptionStore = class {
  byDevice = /* @__PURE__ */ new Map();
  table;
  constructor(db) {
    this.table = new JsonTable(db, "resumption_records", ["device_id"], "expires_at");
    for (const r of this.table.loadAll()) this.byDevice.set(r.deviceId, r);
  }
  async put(rec) {
    const prev = this.byDevice.get(rec.deviceId);
    const r = clone(rec);
    this.table.save([r.deviceId], r.expiresAt, r);
    this.byDevice.set(r.deviceId, r);
    return prev;
  }
  async get(deviceId) {
    const r = this.byDevice.get(deviceId);
    return r ? clone(r) : void 0;
  }
  async update(deviceId, patch) {
    const cur = this.byDevice.get(deviceId);
    if (!cur) return void 0;
    const r = { ...cur };
    if (patch.anchoredCallRef !== void 0) r.anchoredCallRef = patch.anchoredCallRef;
    if (patch.expiresAt !== void 0) r.expiresAt = patch.expiresAt;
    if (patch.nodeId !== void 0) r.nodeId = patch.nodeId;
    this.table.save([deviceId], r.expiresAt, r);
    this.byDevice.set(deviceId, r);
    return clone(r);
  }
  async remove(deviceId) {
    if (!this.byDevice.has(deviceId)) return false;
    this.table.delete([deviceId]);
    this.byDevice.delete(deviceId);
    return true;
  }
  async list() {
    return [...this.byDevice.values()].map(clone);
  }
  async sweep(now) {
    const out = [];
    for (const [k, r] of this.byDevice) {
      if (r.expiresAt !== null && r.expiresAt <= now) {
        this.table.delete([k]);
        this.byDevice.delete(k);
        out.push(r);
      }
    }
    return out;
  }
};
var LocalPinFailureStore = class {
  byUser = /* @__PURE__ */ new Map();
  table;
  constructor(db) {
    this.table = new JsonTable(db, "pin_failures", ["user_id"], "locked_until");
    for (const s of this.table.loadAll()) this.byUser.set(s.userId, s);
  }
  save(s) {
    this.table.save([s.userId], s.lockedUntil, s);
    this.byUser.set(s.userId, s);
  }
  async get(userId) {
    const s = this.byUser.get(userId);
    return s ? clone(s) : void 0;
  }
  async isLocked(userId, now) {
    const s = this.byUser.get(userId);
    return !!s && s.lockedUntil !== null && s.lockedUntil > now;
  }
  async recordFailure(userId, now, policy) {
    let s = this.byUser.get(userId) ?? { userId, consecutiveFailures: 0, lockedUntil: null, lastFailureAt: null };
    if (s.lockedUntil !== null) {
      if (s.lockedUntil > now) return clone(s);
      s = { ...s, consecutiveFailures: 0, lockedUntil: null };
    }
    const next = { ...s, consecutiveFailures: s.consecutiveFailures + 1, lastFailureAt: now };
    if (policy.threshold > 0 && next.consecutiveFailures >= policy.threshold) next.lockedUntil = now + policy.durationS * 1e3;
    this.save(next);
    return clone(next);
  }
  async recordSuccess(userId) {
    if (!this.byUser.has(userId)) return;
    this.table.delete([userId]);
    this.byUser.delete(userId);
  }
  async sweep(now) {
    const out = [];
    for (const [k, s] of this.byUser) {
      if (s.lockedUntil !== null && s.lockedUntil <= now) {
        this.table.delete([k]);
        this.byUser.delete(k);
        out.push(s);
      }
    }
    return out;
  }
};

// src/state/migrations.ts
var STATE_MIGRATIONS = [
  `
  CREATE TABLE registrations (
    aor TEXT NOT NULL,
    binding_key TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (aor, binding_key)
  );
  CREATE INDEX registrations_expires ON registrations(expires_at);
  CREATE TABLE pending_dvo (
    device_id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE TABLE resumption_records (
    device_id TEXT PRIMARY KEY,
    expires_at INTEGER,
    data TEXT NOT NULL
  );
  CREATE TABLE pin_failures (
    user_id TEXT PRIMARY KEY,
    locked_until INTEGER,
    data TEXT NOT NULL
  );
  `
];

// src/state/local.ts
var STATE_COMPONENT = "state";
function openLocalStateStores(path) {
  const owns = typeof path === "string";
  const db = typeof path === "string" ? openSqlite(path) : path.db;
  runMigrations(db, STATE_COMPONENT, STATE_MIGRATIONS);
  return {
    db,
    registrations: new LocalRegistrationStore(db),
    pendingDvo: new LocalPendingDvoStore(db),
    resumptions: new LocalResumptionStore(db),
    pinFailures: new LocalPinFailureStore(db),
    async close() {
      if (owns && db.open) db.close();
    }
  };
}

// src/features/snr/acl.ts
function callingPartyOf(caller) {
  if (caller.kind === "trunk") return { numbers: caller.callingNumber === null ? [] : [caller.callingNumber], withheld: caller.withheld };
  const line2 = caller.line;
  const numbers = line2 === void 0 ? [] : [line2.did, line2.number].filter((n) => n !== null && n !== "");
  return { numbers, withheld: false };
}
function maskMatches(mask, number) {
  if (mask.length !== number.length) return false;
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i];
    const c = number[i];
    if (m === "X" || m === "x") {
      if (c < "0" || c > "9") return false;
    } else if (m !== c) return false;
  }
  return true;
}
function memberMatches(m, p) {
  switch (m.kind) {
    case "private":
      return p.withheld;
    case "notAvailable":
      return p.numbers.length === 0;
    case "number":
      return m.value !== null && p.numbers.includes(m.value);
    case "mask":
      return m.value !== null && p.numbers.some((n) => maskMatches(m.value, n));
    default:
      return false;
  }
}
function listMatches(list2, p) {
  return list2.members.some((m) => memberMatches(m, p));
}
function accessAllows(policy, lookup, p) {
  if (policy === "always") return true;
  if ("allowedList" in policy) {
    const list3 = lookup(policy.allowedList);
    return list3 !== void 0 && listMatches(list3, p);
  }
  const list2 = lookup(policy.blockedList);
  return list2 === void 0 || !listMatches(list2, p);
}

// src/features/snr/announce.ts
var SINK_TAG = "snr-announce";
var SINK_SDP = [
  "v=0",
  "o=- 1 1 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 9 RTP/AVP 0 8 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=sendrecv",
  ""
].join("\r\n");
function announce(inv, deps, audio, fallback) {
  const req = inv.request;
  const callId = req.callId;
  const callerTag = req.from.tag ?? "";
  let stopNow;
  const done = (async () => {
    const anchor = deps.anchor;
    if (anchor === void 0 || req.body.length === 0) {
      inv.reject(fallback.status, { reason: fallback.reason });
      return;
    }
    try {
      await anchor.offer({ callId, fromTag: callerTag, sdp: req.bodyText });
      const answer = await anchor.answer({ callId, fromTag: callerTag, toTag: SINK_TAG, sdp: SINK_SDP });
      if (inv.finalStatus !== void 0) return;
      inv.onAckTimeout = () => stopNow?.();
      const dialog = inv.accept({ body: answer.sdp, contentType: "application/sdp" });
      await new Promise((resolve2) => {
        let timer;
        const end = (bye) => {
          clearTimeout(timer);
          dialog.onTerminated = void 0;
          if (bye && dialog.state !== "terminated") void deps.ua.bye(dialog);
          resolve2();
        };
        stopNow = () => end(true);
        dialog.onTerminated = () => end(false);
        dialog.onRequest = (r, tx) => {
          if (r.method === "INVITE") {
            dialog.reinvite?.reject(488);
            dialog.reinvite = void 0;
          } else tx.respond(createResponse(r, r.method === "INFO" || r.method === "OPTIONS" ? 200 : 501));
        };
        anchor.playMedia({ callId, fromTag: callerTag, blob: audio }).then(
          (r) => {
            timer = setTimeout(() => end(true), (r.durationMs ?? 1e3) + 300);
          },
          (e) => {
            deps.log.warn({ err: e.message, callId }, "announcement could not be played");
            end(true);
          }
        );
      });
    } catch (e) {
      deps.log.warn({ err: e.message, callId }, "announcement failed");
      inv.reject(fallback.status, { reason: fallback.reason });
    } finally {
      await anchor.delete({ callId }).catch(() => void 0);
    }
  })();
  return { done, stop: () => stopNow?.() };
}

// src/features/snr/dtmf-events.ts
import dgram4 from "node:dgram";
var EVENT_DIGITS = "0123456789*#ABCD";
function parseDtmfLog(msg) {
  let j;
  try {
    j = JSON.parse(typeof msg === "string" ? msg : msg.toString("utf8"));
  } catch {
    return void 0;
  }
  if (j === null || typeof j !== "object") return void 0;
  const o = j;
  if (o["type"] !== void 0 && o["type"] !== "DTMF") return void 0;
  const event = o["event"];
  if (typeof o["callid"] !== "string" || typeof o["source_tag"] !== "string" || typeof event !== "number") return void 0;
  const digit = EVENT_DIGITS[event];
  if (digit === void 0) return void 0;
  const d = o["duration"];
  return { callId: o["callid"], sourceTag: o["source_tag"], digit, durationMs: typeof d === "number" ? d : void 0 };
}
var RtpengineDtmfEvents = class _RtpengineDtmfEvents {
  constructor(sock) {
    this.sock = sock;
    sock.on("message", (msg) => {
      const e = parseDtmfLog(msg);
      if (e === void 0) return;
      for (const cb of [...this.waiting.get(key(e.callId, e.sourceTag)) ?? []]) cb(e.digit);
    });
    sock.on("error", () => void 0);
  }
  sock;
  waiting = /* @__PURE__ */ new Map();
  /** Bind the UDP socket rtpengine's --dtmf-log-dest points at. */
  static async open(host, port2) {
    const sock = dgram4.createSocket("udp4");
    await new Promise((resolve2, reject) => {
      sock.once("error", reject);
      sock.bind(port2, host, () => {
        sock.off("error", reject);
        resolve2();
      });
    });
    return new _RtpengineDtmfEvents(sock);
  }
  get port() {
    return this.sock.address().port;
  }
  /** Digits sent by `tag` in rtpengine call `callId`; returns the unsubscribe function. */
  subscribe(callId, tag, cb) {
    const k = key(callId, tag);
    let set = this.waiting.get(k);
    if (set === void 0) {
      set = /* @__PURE__ */ new Set();
      this.waiting.set(k, set);
    }
    set.add(cb);
    return () => {
      const s = this.waiting.get(k);
      if (s === void 0) return;
      s.delete(cb);
      if (s.size === 0) this.waiting.delete(k);
    };
  }
  /** Subscriptions in place (returns to 0 when idle). */
  get size() {
    return this.waiting.size;
  }
  close() {
    this.waiting.clear();
    try {
      this.sock.close();
    } catch {
    }
  }
};
function key(callId, tag) {
  return `${callId}
${tag}`;
}

// src/features/snr/schedule.ts
var DAYS3 = { Mon: "mon", Tue: "tue", Wed: "wed", Thu: "thu", Fri: "fri", Sat: "sat", Sun: "sun" };
var formats = /* @__PURE__ */ new Map();
function formatFor(timeZone2) {
  let f = formats.get(timeZone2);
  if (f === void 0) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: timeZone2, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formats.set(timeZone2, f);
  }
  return f;
}
function localTime(at, timeZone2) {
  let day;
  let hour = "00";
  let minute = "00";
  for (const part of formatFor(timeZone2).formatToParts(at)) {
    if (part.type === "weekday") day = DAYS3[part.value];
    else if (part.type === "hour") hour = part.value === "24" ? "00" : part.value;
    else if (part.type === "minute") minute = part.value;
  }
  if (day === void 0) throw new RangeError(`no weekday for ${at.toISOString()} in ${timeZone2}`);
  return { day, hhmm: `${hour.padStart(2, "0")}:${minute.padStart(2, "0")}` };
}
function inSchedule(schedule, at, timeZone2) {
  if (schedule === null) return true;
  const { day, hhmm: hhmm2 } = localTime(at, timeZone2);
  return schedule.entries.some((e) => e.days.includes(day) && e.start <= hhmm2 && hhmm2 < e.end);
}

// src/features/snr/eligibility.ts
function skipReason(c) {
  if (c.user === void 0 || !c.user.enableMobility) return "mobilityDisabled";
  if (!c.rd.enableSnr) return "snrDisabled";
  if (c.callerRdId === c.rd.id) return "callerRd";
  if (c.miMode === "voip") return "registeredVoip";
  if (c.parentDnd) return "dnd";
  if (c.schedule === "missing" || !inSchedule(c.schedule, c.at, c.timeZone)) return "schedule";
  if (!accessAllows(c.rd.accessPolicy, c.lists, c.party)) return "accessList";
  return void 0;
}
function miMode(device2, contacts) {
  if (contacts.length === 0) return "unregistered";
  const snr = contacts.some((c) => /[;?&]\+?mobility-inbound=(?:"|%22)?snr(?:"|%22)?(?:[;?&>]|$)/i.test(c));
  return snr && device2.dvoEnabled ? "snr" : "voip";
}

// src/features/snr/metrics.ts
import { Counter as Counter2, Gauge as Gauge2 } from "prom-client";
var SnrMetrics = class {
  forks;
  answers;
  answerTooSoon;
  answerTooLate;
  userControl;
  skipped;
  overflow;
  forwarded;
  calls;
  constructor(registry, sizes) {
    const registers = [registry];
    this.forks = new Counter2({ name: "ma_snr_forks_total", help: "SNR fork INVITEs sent, by destination kind", labelNames: ["kind"], registers });
    this.answers = new Counter2({ name: "ma_snr_answers_total", help: "SNR calls answered, by the kind of destination that won", labelNames: ["kind"], registers });
    this.answerTooSoon = new Counter2({
      name: "ma_snr_answer_too_soon_total",
      help: "RD forks that answered before Answer Too Soon and were dropped (TMR-02)",
      labelNames: ["kind"],
      registers
    });
    this.answerTooLate = new Counter2({
      name: "ma_snr_answer_too_late_total",
      help: "RD forks cancelled at Answer Too Late (TMR-03)",
      labelNames: ["kind"],
      registers
    });
    this.userControl = new Counter2({
      name: "ma_snr_user_control_total",
      help: "User-control voicemail avoidance outcomes (VMA-03)",
      labelNames: ["result"],
      registers
    });
    this.skipped = new Counter2({ name: "ma_snr_skipped_forks_total", help: "RDs not rung for a call, by reason", labelNames: ["reason"], registers });
    this.overflow = new Counter2({
      name: "ma_snr_overflow_total",
      help: "Calls over the per-user SNR limit (SNR-07, D-10), by action",
      labelNames: ["action"],
      registers
    });
    this.forwarded = new Counter2({
      name: "ma_snr_forwarded_total",
      help: "Calls to lines forwarded to the no-answer / busy destination (SNR-06), by Diversion reason",
      labelNames: ["reason"],
      registers
    });
    this.calls = new Counter2({ name: "ma_snr_calls_total", help: "SNR calls ended, by where they were answered", labelNames: ["answered"], registers });
    new Gauge2({
      name: "ma_snr_state_size",
      help: "Entries in the SNR feature maps (must return to 0 when idle)",
      labelNames: ["map"],
      registers,
      collect() {
        for (const [k, v] of Object.entries(sizes())) this.set({ map: k }, v);
      }
    });
  }
};

// src/features/snr/prompt.ts
function toneSequenceWav(tones, amplitude = 6e3) {
  const samples = tones.reduce((n, t) => n + 8 * t.ms, 0);
  const b = Buffer.alloc(44 + samples * 2);
  b.write("RIFF", 0, "ascii");
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write("WAVE", 8, "ascii");
  b.write("fmt ", 12, "ascii");
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8e3, 24);
  b.writeUInt32LE(16e3, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36, "ascii");
  b.writeUInt32LE(samples * 2, 40);
  let i = 0;
  for (const t of tones) {
    for (let k = 0; k < 8 * t.ms; k++, i++) {
      const v = t.hz === 0 ? 0 : Math.round(amplitude * Math.sin(2 * Math.PI * t.hz * k / 8e3));
      b.writeInt16LE(v, 44 + i * 2);
    }
  }
  return b;
}
function durationMs(tones) {
  return tones.reduce((n, t) => n + t.ms, 0);
}
var ACCEPT_PROMPT = [
  { hz: 660, ms: 250 },
  { hz: 0, ms: 150 },
  { hz: 880, ms: 250 },
  { hz: 0, ms: 150 },
  { hz: 1100, ms: 400 }
];
var SNR_ON_TONE = [
  { hz: 600, ms: 200 },
  { hz: 0, ms: 100 },
  { hz: 900, ms: 300 }
];
var SNR_OFF_TONE = [
  { hz: 900, ms: 200 },
  { hz: 0, ms: 100 },
  { hz: 600, ms: 300 }
];
var SNR_ERROR_TONE = [
  { hz: 480, ms: 250 },
  { hz: 0, ms: 250 },
  { hz: 480, ms: 250 }
];

// src/features/snr/snr-control.ts
function snrStatus(directory, userId) {
  return directory.listRemoteDestinations(userId).some((rd) => rd.enableSnr);
}
function setSnr(directory, userId, on2, rdId) {
  return directory.transaction(() => {
    const rds = directory.listRemoteDestinations(userId).filter((rd) => rdId === void 0 || rd.id === rdId);
    if (rdId !== void 0 && rds.length === 0) throw new Error(`remote destination ${rdId} does not belong to user ${userId}`);
    return rds.filter((rd) => rd.enableSnr !== on2).map((rd) => directory.remoteDestinations.update(rd.id, { enableSnr: on2 }).record);
  });
}

// src/features/snr/targets.ts
function rdForkTarget(deps, rd, rerouteCss, line2, caller) {
  if (/^sips?:/i.test(rd.number.trim())) return { ok: false, why: "notANumber" };
  if (rerouteCss === null) return { ok: false, why: "unroutable" };
  const match = deps.directory.resolve(rd.number, [rerouteCss]);
  if (match === void 0 || match.target.kind !== "trunk") return { ok: false, why: "unroutable" };
  const trunk2 = deps.directory.getTrunk(match.target.id);
  if (trunk2 === void 0) return { ok: false, why: "unroutable" };
  const base = deps.router.trunkTargets(trunk2, match.calledNumber, caller)[0]?.[0];
  if (base === void 0) return { ok: false, why: "unroutable" };
  const headers = { ...base.headers ?? {} };
  let from = base.from;
  const did = line2.did ?? void 0;
  if (trunk2.mobilityForkCallingIdentity === "enterpriseDid" && did !== void 0) {
    const dn = localise(did, trunk2.outboundRules, "calling");
    from = `"${line2.displayName.replace(/(["\\])/g, "\\$1")}" <sip:${dn}@${deps.domain}>`;
    if (trunk2.trusted) headers["p-asserted-identity"] = `<sip:${dn}@${deps.domain}>`;
    else delete headers["p-asserted-identity"];
  }
  if (trunk2.sendDiversionOnMobilityForks && did !== void 0) {
    headers["diversion"] = `<sip:${localise(did, trunk2.outboundRules, "calling")}@${trunk2.peerHost};user=phone>;reason=follow-me`;
  }
  return { ok: true, trunk: trunk2, target: { ...base, from, headers } };
}
function forwardGroups(deps, line2, number, caller, req, reason) {
  if (number === null || number === "") return void 0;
  const css2 = [line2.lineCss].filter((c) => c !== null);
  if (css2.length === 0) return void 0;
  const match = deps.directory.resolve(number, css2);
  if (match === void 0) return void 0;
  const t = match.target;
  if (t.kind === "trunk") {
    const trunk2 = deps.directory.getTrunk(t.id);
    if (trunk2 === void 0) return void 0;
    const who = localise(line2.did ?? line2.number, trunk2.outboundRules, "calling");
    const diversion = `<sip:${who}@${trunk2.peerHost};user=phone>;reason=${reason}`;
    return deps.router.trunkTargets(trunk2, match.calledNumber, caller).map((g) => g.map((x) => ({ ...x, headers: { ...x.headers ?? {}, diversion }, label: `forward:${reason}` })));
  }
  if (t.kind === "line") {
    if (t.id === line2.id) return void 0;
    const target = deps.directory.lines.get(t.id);
    if (target === void 0) return void 0;
    const diversion = `<sip:${line2.number}@${deps.domain}>;reason=${reason}`;
    const group = deps.router.lineTargets(target, caller, req).map((x) => ({ ...x, headers: { ...x.headers ?? {}, diversion }, label: `forward:${reason}` }));
    return group.length === 0 ? void 0 : [group];
  }
  return void 0;
}

// src/features/snr/timers.ts
function effectivePolicy(rd, system) {
  return rd.snrVoicemailPolicy === "useSystemDefault" ? system : rd.snrVoicemailPolicy;
}
function forkTimers(rd, system, elapsedMs = 0) {
  const policy = effectivePolicy(rd, system);
  return {
    policy,
    delayMs: Math.max(0, rd.delayBeforeRingingMs - Math.max(0, elapsedMs)),
    answerTooSoonMs: policy === "userControl" ? 0 : rd.answerTooSoonMs,
    answerTooLateMs: rd.answerTooLateMs
  };
}
var TMR04_MARGIN_MS = 5e3;
function timerWarnings(noAnswerMs, rd) {
  const out = [];
  const dbr = rd.delayBeforeRingingMs;
  if (rd.answerTooLateMs > 0 && noAnswerMs >= dbr + rd.answerTooLateMs) {
    out.push(
      `RD ${rd.id}: the line's no-answer time (${noAnswerMs} ms) is not shorter than delayBeforeRingingMs + the RD's ring time (${dbr} + ${rd.answerTooLateMs} ms): the enterprise no-answer forward may not fire first (TMR-04)`
    );
  }
  if (noAnswerMs <= dbr + rd.answerTooSoonMs + TMR04_MARGIN_MS) {
    out.push(
      `RD ${rd.id}: the line's no-answer time (${noAnswerMs} ms) leaves too little time to answer on the RD (delayBeforeRingingMs ${dbr} + answerTooSoonMs ${rd.answerTooSoonMs} + ${TMR04_MARGIN_MS} ms, TMR-04)`
    );
  }
  return out;
}

// src/sip/extensions/dtmf-info.ts
var DTMF_RELAY_CONTENT_TYPE = "application/dtmf-relay";
var DTMF_CONTENT_TYPE = "application/dtmf";
var DEFAULT_DTMF_DURATION_MS = 250;
var EVENT_CODES = "0123456789*#ABCD";
function normalizeDigit(raw) {
  const t = raw.trim().toUpperCase();
  if (t.length === 1 && EVENT_CODES.includes(t)) return t;
  if (/^[0-9]{1,2}$/.test(t)) {
    const code = Number(t);
    if (code < 16) return EVENT_CODES[code];
  }
  throw new SipSyntaxError(`invalid DTMF signal "${t.slice(0, 8)}"`);
}
function normalizeDuration(raw, fallback) {
  if (raw === void 0) return fallback;
  const t = raw.trim();
  if (!/^[0-9]{1,6}$/.test(t) || Number(t) === 0) throw new SipSyntaxError(`invalid DTMF duration "${t.slice(0, 8)}"`);
  return Number(t);
}
function text2(body) {
  return typeof body === "string" ? body : body.toString("utf8");
}
function parseDtmfRelay(body, defaultDurationMs = DEFAULT_DTMF_DURATION_MS) {
  let signal;
  let duration;
  for (const line2 of text2(body).split(/\r\n|\r|\n/)) {
    const eq = line2.indexOf("=");
    if (eq === -1) continue;
    const key2 = line2.slice(0, eq).trim().toLowerCase();
    const value = line2.slice(eq + 1);
    if (key2 === "signal") signal = value;
    else if (key2 === "duration") duration = value;
  }
  if (signal === void 0) throw new SipSyntaxError("dtmf-relay body without Signal");
  return { digit: normalizeDigit(signal), durationMs: normalizeDuration(duration, defaultDurationMs) };
}
function parseDtmf(body, defaultDurationMs = DEFAULT_DTMF_DURATION_MS) {
  const t = text2(body).trim();
  if (t === "") throw new SipSyntaxError("empty application/dtmf body");
  return { digit: normalizeDigit(t), durationMs: defaultDurationMs };
}
function parseDtmfInfo(contentType, body, defaultDurationMs = DEFAULT_DTMF_DURATION_MS) {
  const type = (contentType ?? "").split(";", 1)[0].trim().toLowerCase();
  try {
    if (type === DTMF_RELAY_CONTENT_TYPE) return parseDtmfRelay(body, defaultDurationMs);
    if (type === DTMF_CONTENT_TYPE) return parseDtmf(body, defaultDurationMs);
  } catch {
    return void 0;
  }
  return void 0;
}

// src/features/snr/user-control.ts
async function confirmByKeyPress(c, settings, anchor, dtmf, log, hooks = {}) {
  const media = { callId: c.callId, fromTag: c.mediaTag };
  const bestEffort = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      log.warn({ err: e.message, callId: c.callId }, `user control: ${what} failed`);
    }
  };
  if (anchor !== void 0) await bestEffort("block media", () => anchor.blockMedia(media));
  if (c.signal.aborted) return false;
  let prompting = false;
  const result = await new Promise((resolve2) => {
    let promptTimer;
    let waitTimer;
    let unsubscribe;
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(promptTimer);
      clearTimeout(waitTimer);
      unsubscribe?.();
      c.onInfo = void 0;
      c.signal.removeEventListener("abort", onAbort);
      resolve2(r);
    };
    const onAbort = () => finish("aborted");
    const digit = (d, via) => {
      if (done) return;
      hooks.onDigit?.(d, via);
      finish("accepted");
    };
    c.signal.addEventListener("abort", onAbort);
    c.onInfo = (info) => {
      const e = parseDtmfInfo(info.contentType, info.body);
      if (e !== void 0) digit(e.digit, "info");
    };
    if (dtmf !== void 0) unsubscribe = dtmf.subscribe(c.callId, c.mediaTag, (d) => digit(d, "rfc4733"));
    const waitAfterPrompt = (promptMs) => {
      if (done) return;
      waitTimer = setTimeout(() => finish("timeout"), promptMs + settings.dtmfWaitMs);
    };
    promptTimer = setTimeout(() => {
      promptTimer = void 0;
      if (done) return;
      if (anchor === void 0) {
        log.warn({ callId: c.callId }, "user control without a media anchor: no prompt can be played (VMA-04)");
        waitAfterPrompt(0);
        return;
      }
      prompting = true;
      anchor.playMedia({ ...media, ...settings.prompt }).then(
        (r) => {
          const ms = r.durationMs ?? settings.promptMs;
          hooks.onPrompt?.(ms);
          waitAfterPrompt(ms);
        },
        (e) => {
          log.warn({ err: e.message, callId: c.callId }, "user control: prompt could not be played (VMA-04)");
          waitAfterPrompt(0);
        }
      );
    }, settings.promptDelayMs);
  });
  hooks.onResult?.(result);
  if (result !== "accepted") return false;
  if (anchor !== void 0 && prompting) await bestEffort("stop media", () => anchor.stopMedia(media));
  if (anchor !== void 0) await bestEffort("unblock media", () => anchor.unblockMedia(media));
  return !c.signal.aborted;
}

// src/features/snr/snr-feature.ts
var MAX_SNR_CALLS_PER_USER = 2;
var MAX_RDS_PER_USER2 = 10;
var BUSY = /* @__PURE__ */ new Set([486, 600, 603]);
function snrOptionsFromEnv(env = process.env) {
  const out = {};
  const d = env["MA_SNR_DTMF_EVENTS"];
  const m = d === void 0 ? null : /^(.+):(\d{1,5})$/.exec(d.trim());
  if (m !== null) out.dtmfEvents = { host: m[1], port: Number(m[2]) };
  const p = env["MA_SNR_PROMPT_FILE"];
  if (p !== void 0 && p !== "") out.promptFile = p;
  return out;
}
var SnrFeature = class {
  constructor(options = {}) {
    this.options = options;
  }
  options;
  name = "snr";
  ctx;
  metrics;
  dtmf;
  /** §17.2 SnrCallCounter: active SNR calls per user. */
  activeByUser = /* @__PURE__ */ new Map();
  calls = /* @__PURE__ */ new Map();
  /** Trunk calls held by SNR calls, per trunk id (LIM-04). */
  trunkUse = /* @__PURE__ */ new Map();
  announcements = /* @__PURE__ */ new Set();
  warned = /* @__PURE__ */ new Set();
  prompt = toneSequenceWav(ACCEPT_PROMPT);
  profilesOnLine;
  async start(ctx) {
    this.ctx = ctx;
    this.metrics = new SnrMetrics(ctx.metrics, () => this.sizes());
    const d = this.options.dtmfEvents;
    if (d !== void 0) {
      try {
        this.dtmf = await RtpengineDtmfEvents.open(d.host, d.port);
        ctx.log.info({ dtmfEvents: `${d.host}:${d.port}` }, "SNR: listening for rtpengine DTMF events");
      } catch (e) {
        ctx.log.error({ err: e.message }, "SNR: cannot listen for rtpengine DTMF events; user control takes SIP INFO digits only");
      }
    }
  }
  /** Sizes of the feature's maps: each returns to 0 when no call is up. */
  sizes() {
    return {
      calls: this.calls.size,
      users: this.activeByUser.size,
      trunks: this.trunkUse.size,
      announcements: this.announcements.size,
      dtmfSubscriptions: this.dtmf?.size ?? 0
    };
  }
  /** Active SNR calls of a user (SNR-07). */
  activeCalls(userId) {
    return this.activeByUser.get(userId)?.size ?? 0;
  }
  close() {
    for (const a of this.announcements) a.stop();
    for (const c of this.calls.values()) clearTimeout(c.timer);
    this.dtmf?.close();
    this.dtmf = void 0;
  }
  // ------------------------------------------------------------ desk SNR codes
  /** SNR-11 / D-14: `snrOnCode`, `snrOffCode`, `snrStatusCode` dialled from a desk device. */
  onInvite(inv, caller, ctx) {
    if (caller.kind !== "device") return false;
    const dialled = ctx.router.dialled(inv.request);
    if (dialled === void 0) return false;
    const m = ctx.directory.mobilityParameters();
    const code = dialled === m.snrOnCode ? "on" : dialled === m.snrOffCode ? "off" : dialled === m.snrStatusCode ? "status" : void 0;
    if (code === void 0) return false;
    const userId = caller.device.ownerUser;
    if (userId === null) {
      inv.reject(403, { reason: "Forbidden - the device has no user" });
      return true;
    }
    let tone = SNR_ERROR_TONE;
    let fallback = { status: 500, reason: "Server Internal Error - SNR setting not stored" };
    try {
      const on2 = code === "status" ? snrStatus(ctx.directory, userId) : (setSnr(ctx.directory, userId, code === "on"), code === "on");
      tone = on2 ? SNR_ON_TONE : SNR_OFF_TONE;
      fallback = { status: 603, reason: `Decline - SNR is ${on2 ? "on" : "off"}` };
      ctx.log.info({ user: userId, code, on: on2 }, "SNR desk code");
    } catch (e) {
      ctx.log.error({ user: userId, code, err: e.message }, "SNR desk code: the change could not be stored");
    }
    const a = announce(inv, { ua: ctx.ua, anchor: ctx.callMedia === void 0 ? void 0 : ctx.anchor, log: ctx.log }, toneSequenceWav(tone), fallback);
    this.announcements.add(a);
    void a.done.finally(() => this.announcements.delete(a));
    return true;
  }
  // ------------------------------------------------------------ calls to lines
  lineTargets(line2, caller, deskTargets, inv, ctx) {
    const arrivedAt = Date.now();
    const dir = ctx.directory;
    const m = dir.mobilityParameters();
    const deps = { directory: dir, router: ctx.router, domain: ctx.config.domain };
    const noAnswerMs = (line2.noAnswerRingDurationS ?? m.forwardNoAnswerTimerS) * 1e3;
    const skipped = (why) => this.metrics?.skipped.inc({ reason: why });
    const party = callingPartyOf(caller);
    const callerRdId = this.callerRd(caller, dir);
    const at = this.options.now?.() ?? /* @__PURE__ */ new Date();
    const silenced = /* @__PURE__ */ new Set();
    const forks = [];
    for (const p of this.parentsOn(line2, dir)) {
      const user2 = dir.findUser(p.owner);
      let mode;
      if (p.device !== void 0) {
        const aorUser = p.device.aor === null ? void 0 : /^sips?:([^@]+)@/i.exec(p.device.aor)?.[1];
        mode = miMode(p.device, aorUser === void 0 ? [] : ctx.registrar.lookup(aorUser).map((b) => b.contact));
        if (mode === "snr" || p.device.dndEnabled) silenced.add(p.device.id);
      }
      const rds = dir.listRemoteDestinations(p.owner).filter((rd) => rd.parent.kind === p.kind && rd.parent.id === p.id).slice(0, MAX_RDS_PER_USER2);
      for (const rd of rds) {
        if (p.device !== void 0 && !p.device.hasCellularRadio) {
          skipped("noCellularRadio");
          continue;
        }
        const why = skipReason({
          rd,
          user: user2,
          parentDnd: p.dnd,
          miMode: rd.isMobilityIdentity ? mode : void 0,
          callerRdId,
          party,
          at,
          schedule: rd.ringSchedule === null ? null : dir.ringSchedules.get(rd.ringSchedule) ?? "missing",
          lists: (id2) => dir.accessLists.get(id2),
          timeZone: user2?.timeZone ?? "UTC"
        });
        if (why !== void 0) {
          skipped(why);
          continue;
        }
        const ft = rdForkTarget(deps, rd, p.rerouteCss, line2, caller);
        if (!ft.ok) {
          skipped(ft.why);
          ctx.log.warn({ rd: rd.id, number: rd.number, why: ft.why }, "SNR: remote destination cannot be reached");
          continue;
        }
        const max = ft.trunk.maxConcurrentCalls;
        if (max !== null) {
          const inbound = caller.kind === "trunk" && caller.trunk.id === ft.trunk.id ? 1 : 0;
          const planned = forks.filter((f) => f.trunk.id === ft.trunk.id).length;
          if ((this.trunkUse.get(ft.trunk.id) ?? 0) + inbound + planned >= max) {
            skipped("trunkFull");
            continue;
          }
        }
        forks.push({ rd, owner: p.owner, kind: rd.isMobilityIdentity ? "mi" : "rd", target: ft.target, trunk: ft.trunk });
      }
    }
    const desk = deskTargets.filter((t) => !silenced.has(deskDeviceOf(t) ?? ""));
    const snrUsers = [...new Set(forks.map((f) => f.owner))];
    if (snrUsers.some((u) => this.activeCalls(u) >= MAX_SNR_CALLS_PER_USER)) {
      if (m.snrOverflowAction === "voicemail") {
        const vm = forwardGroups(deps, line2, line2.voicemailPilot ?? line2.callForwardNoAnswer, caller, inv.request, "user-busy");
        if (vm !== void 0) {
          this.metrics?.overflow.inc({ action: "voicemail" });
          this.metrics?.forwarded.inc({ reason: "user-busy" });
          ctx.log.info({ line: line2.number, users: snrUsers }, "SNR: call limit reached, call sent to voicemail (SNR-07)");
          return vm;
        }
      }
      this.metrics?.overflow.inc({ action: "deskOnly" });
      for (let i = 0; i < forks.length; i++) skipped("tooMany");
      forks.length = 0;
      snrUsers.length = 0;
    }
    const cfna = forwardGroups(deps, line2, line2.callForwardNoAnswer ?? line2.voicemailPilot, caller, inv.request, "no-answer");
    if (forks.length === 0 && cfna === void 0 && desk.length === deskTargets.length) return void 0;
    if (forks.length === 0 && desk.length === 0) {
      if (cfna === void 0) return [[]];
      this.metrics?.forwarded.inc({ reason: "unavailable" });
      return forwardGroups(deps, line2, line2.callForwardNoAnswer ?? line2.voicemailPilot, caller, inv.request, "unavailable");
    }
    const st = {
      id: inv.request.callId,
      line: line2,
      arrivedAt,
      noAnswerMs,
      users: snrUsers,
      call: void 0,
      timer: void 0,
      forwarded: false,
      cfna,
      cfb: () => forwardGroups(deps, line2, line2.callForwardBusy, caller, inv.request, "user-busy"),
      deskPending: /* @__PURE__ */ new Set(),
      trunkLegs: /* @__PURE__ */ new Map(),
      answered: void 0
    };
    const deskOut = desk.map((t) => {
      const { ringTimeoutMs: _line, ...rest } = t;
      const x = { ...rest };
      x.onEvent = (e) => this.onDeskEvent(st, x, e);
      st.deskPending.add(x);
      return x;
    });
    const forkOut = forks.map((f) => {
      const tm = forkTimers(f.rd, m.voicemailSelectionPolicy, Date.now() - arrivedAt);
      this.warnTimers(ctx, line2, noAnswerMs, f.rd);
      const t = {
        ...f.target,
        label: `${f.kind}:${f.rd.id}`,
        delayMs: tm.delayMs,
        ringTimeoutMs: tm.answerTooLateMs,
        answerTooSoonMs: tm.answerTooSoonMs,
        noEarlyMedia: true
      };
      if (tm.policy === "userControl") {
        const settings = { promptDelayMs: m.userControlPromptDelayMs, dtmfWaitMs: m.userControlDtmfWaitMs };
        t.confirm = (c) => this.confirm(c, settings);
      }
      t.onEvent = (e) => this.onForkEvent(st, t, f.kind, f.trunk.id, e);
      return t;
    });
    const inboundTrunk = caller.kind === "trunk" && snrUsers.length > 0 ? caller.trunk.id : void 0;
    observeCall(inv, {
      onStart: (call) => {
        st.call = call;
        this.calls.set(st.id, st);
        for (const u of st.users) {
          let s = this.activeByUser.get(u);
          if (s === void 0) this.activeByUser.set(u, s = /* @__PURE__ */ new Set());
          s.add(st.id);
        }
        if (inboundTrunk !== void 0) this.holdTrunk(st, "inbound", inboundTrunk);
        if (deskOut.length === 0 && inv.finalStatus === void 0) inv.progress(180);
        st.timer = setTimeout(() => this.onNoAnswer(st), Math.max(0, st.noAnswerMs - (Date.now() - st.arrivedAt)));
      },
      onConnected: () => {
        clearTimeout(st.timer);
        st.timer = void 0;
      },
      onEnd: (_call, end) => this.onCallEnd(st, end),
      onExhausted: (_call, status) => this.onExhausted(st, status)
    });
    ctx.log.debug(
      { callId: st.id, line: line2.number, desk: deskOut.length, forks: forkOut.map((t) => `${t.label}@${t.delayMs ?? 0}ms`), noAnswerMs },
      "SNR: ringing the line"
    );
    return [[...deskOut, ...forkOut]];
  }
  // ------------------------------------------------------------ call events
  onDeskEvent(st, t, e) {
    if (e.kind === "won") {
      st.answered = "desk";
      this.metrics?.answers.inc({ kind: "desk" });
    } else if (e.kind === "failed") {
      st.deskPending.delete(t);
      if (BUSY.has(e.status) && st.deskPending.size === 0 && !st.forwarded) st.call?.divert([], e.status);
    }
  }
  onForkEvent(st, t, kind, trunkId, e) {
    const mt = this.metrics;
    switch (e.kind) {
      case "launched":
        mt?.forks.inc({ kind });
        this.holdTrunk(st, t, trunkId);
        break;
      case "answer-too-soon":
        mt?.answerTooSoon.inc({ kind });
        break;
      case "ring-timeout":
        mt?.answerTooLate.inc({ kind });
        break;
      case "confirm-failed":
        if (e.why !== "rejected") mt?.userControl.inc({ result: e.why });
        break;
      case "won":
        st.answered = kind;
        mt?.answers.inc({ kind });
        break;
      case "failed":
        this.releaseTrunk(st, t);
        break;
      default:
        break;
    }
  }
  confirm(c, s) {
    const ctx = this.ctx;
    const prompt = this.options.promptFile !== void 0 ? { file: this.options.promptFile } : { blob: this.prompt };
    return confirmByKeyPress(
      c,
      { ...s, prompt, promptMs: durationMs(ACCEPT_PROMPT) },
      ctx.callMedia === void 0 ? void 0 : ctx.anchor,
      this.dtmf,
      ctx.log,
      {
        onDigit: (digit, via) => ctx.log.info({ callId: c.callId, digit, via }, "SNR user control: key pressed, leg accepted"),
        onResult: (r) => {
          if (r !== "aborted") this.metrics?.userControl.inc({ result: r });
        }
      }
    );
  }
  /** SNR-06: the line's no-answer time ran out: cancel every fork, forward (or 480). */
  onNoAnswer(st) {
    st.timer = void 0;
    if (st.forwarded || st.call === void 0) return;
    st.forwarded = true;
    const groups = st.cfna ?? [];
    if (st.call.divert(groups, 480) && groups.length > 0) this.metrics?.forwarded.inc({ reason: "no-answer" });
  }
  /** Nothing answered and nothing is left to ring: forward-busy or forward-no-answer, once. */
  onExhausted(st, status) {
    if (st.forwarded) return void 0;
    st.forwarded = true;
    clearTimeout(st.timer);
    st.timer = void 0;
    if (BUSY.has(status)) {
      const g = st.cfb();
      if (g !== void 0) this.metrics?.forwarded.inc({ reason: "user-busy" });
      return g;
    }
    if (st.cfna !== void 0) this.metrics?.forwarded.inc({ reason: "no-answer" });
    return st.cfna;
  }
  onCallEnd(st, end) {
    clearTimeout(st.timer);
    st.timer = void 0;
    if (this.calls.get(st.id) === st) this.calls.delete(st.id);
    for (const u of st.users) {
      const s = this.activeByUser.get(u);
      s?.delete(st.id);
      if (s !== void 0 && s.size === 0) this.activeByUser.delete(u);
    }
    for (const k of [...st.trunkLegs.keys()]) this.releaseTrunk(st, k);
    this.metrics?.calls.inc({ answered: st.answered ?? (end.result === "answered" ? "forward" : "none") });
  }
  holdTrunk(st, key2, trunkId) {
    if (st.trunkLegs.has(key2)) return;
    st.trunkLegs.set(key2, trunkId);
    this.trunkUse.set(trunkId, (this.trunkUse.get(trunkId) ?? 0) + 1);
  }
  releaseTrunk(st, key2) {
    const id2 = st.trunkLegs.get(key2);
    if (id2 === void 0) return;
    st.trunkLegs.delete(key2);
    const n = (this.trunkUse.get(id2) ?? 1) - 1;
    if (n <= 0) this.trunkUse.delete(id2);
    else this.trunkUse.set(id2, n);
  }
  // ------------------------------------------------------------ lookups
  /** RD profiles and mobile clients that share the line (the RDs' parents, §17.1). */
  parentsOn(line2, dir) {
    const out = [];
    if (this.profilesOnLine?.db !== dir.db) {
      this.profilesOnLine = { db: dir.db, stmt: dir.db.prepare("SELECT profile_id FROM rd_profile_lines WHERE line_id = ? ORDER BY profile_id") };
    }
    for (const r of this.profilesOnLine.stmt.all(line2.id)) {
      const p = dir.rdProfiles.get(r.profile_id);
      if (p !== void 0) out.push({ kind: "rdProfile", id: p.id, owner: p.ownerUser, rerouteCss: p.rerouteCss, dnd: p.dndEnabled });
    }
    for (const d of dir.devicesOnLine(line2.id)) {
      if (d.kind !== "mobileClient" || d.ownerUser === null) continue;
      out.push({ kind: "mobileClient", id: d.id, owner: d.ownerUser, rerouteCss: d.rerouteCss, dnd: d.dndEnabled, device: d });
    }
    return out;
  }
  /** ANC-04: the RD/MI the call comes from (CID on the globalised, unreplaced number). */
  callerRd(caller, dir) {
    if (caller.kind !== "trunk" || caller.callingNumber === null) return void 0;
    const r = dir.findRemoteDestinationByNumber(caller.callingNumber);
    return r.kind === "unique" ? r.value.id : void 0;
  }
  /** TMR-04, logged once per line/RD/timer values. */
  warnTimers(ctx, line2, noAnswerMs, rd) {
    const key2 = `${line2.id}|${rd.id}|${noAnswerMs}|${rd.delayBeforeRingingMs}|${rd.answerTooSoonMs}|${rd.answerTooLateMs}`;
    if (this.warned.has(key2)) return;
    if (this.warned.size > 1e4) this.warned.clear();
    this.warned.add(key2);
    for (const w of timerWarnings(noAnswerMs, rd)) ctx.log.warn({ line: line2.number, rd: rd.id }, w);
  }
};
function deskDeviceOf(t) {
  return t.label?.startsWith("device:") === true ? t.label.slice("device:".length) : void 0;
}

// src/features/dvo/deadlines.ts
var Deadlines = class {
  constructor(now = Date.now) {
    this.now = now;
  }
  now;
  timers = /* @__PURE__ */ new Map();
  /** (Re-)arm `key` to fire at `at`; an earlier timer of the same key is replaced. */
  arm(key2, at, fire) {
    this.cancel(key2);
    const t = setTimeout(
      () => {
        if (this.timers.get(key2) !== t) return;
        this.timers.delete(key2);
        fire();
      },
      Math.max(0, at - this.now())
    );
    t.unref();
    this.timers.set(key2, t);
  }
  cancel(key2) {
    const t = this.timers.get(key2);
    if (t === void 0) return false;
    clearTimeout(t);
    this.timers.delete(key2);
    return true;
  }
  has(key2) {
    return this.timers.has(key2);
  }
  get size() {
    return this.timers.size;
  }
  clear() {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
};

// src/features/dvo/targets.ts
function routeTarget(directory, router, caller, target, req) {
  const css2 = [caller.device.css, caller.line?.lineCss].filter((c) => c !== null && c !== void 0);
  if (target === "" || css2.length === 0) return { ok: false, status: 404, reason: "Not Found - target not routable" };
  const m = directory.resolve(target, css2);
  if (m === void 0) return { ok: false, status: 404, reason: `Not Found - ${target} is not routable` };
  if (m.target.kind === "line") {
    const line2 = directory.lines.get(m.target.id);
    if (line2 === void 0) return { ok: false, status: 404, reason: "Not Found - line missing" };
    return { ok: true, groups: [router.lineTargets(line2, caller, req)], kind: "line", called: line2.number };
  }
  if (m.target.kind === "trunk") {
    const trunk2 = directory.getTrunk(m.target.id);
    if (trunk2 === void 0) return { ok: false, status: 404, reason: "Not Found - trunk missing" };
    return { ok: true, groups: router.trunkTargets(trunk2, m.calledNumber, caller), kind: "trunk", called: m.calledNumber };
  }
  return { ok: false, status: 404, reason: "Not Found - a feature number is not a DVO target" };
}
function targetRoutable(directory, caller, target) {
  const css2 = [caller.device.css, caller.line?.lineCss].filter((c) => c !== null && c !== void 0);
  if (target === "" || css2.length === 0) return false;
  const m = directory.resolve(target, css2);
  return m !== void 0 && m.target.kind !== "feature";
}
function defaultEfaNumber2(m) {
  const e = m.efaNumbers.find((x) => x.isDefault) ?? (m.efaNumbers.length === 1 ? m.efaNumbers[0] : void 0);
  return e === void 0 ? void 0 : unescapeDialable(e.number);
}
function callbackCallerId(directory, mi, m) {
  if (mi.mobilityProfile !== null) {
    const p = directory.mobilityProfiles.get(mi.mobilityProfile);
    const id2 = p?.dvoRCallbackCallerId?.trim();
    if (id2 !== void 0 && id2 !== "") return unescapeDialable(id2);
  }
  return defaultEfaNumber2(m);
}
function dialInNumber(m) {
  const san = unescapeDialable(m.dvoForwardServiceAccessNumber);
  return san !== "" ? san : defaultEfaNumber2(m);
}
function callbackTargets(directory, router, device2, number, callerId) {
  if (device2.rerouteCss === null) return void 0;
  const m = directory.resolve(number, device2.rerouteCss);
  if (m === void 0 || m.target.kind !== "trunk") return void 0;
  const trunk2 = directory.getTrunk(m.target.id);
  if (trunk2 === void 0) return void 0;
  const presented = { kind: "trunk", trunk: trunk2, callingNumber: callerId, withheld: false, displayName: void 0 };
  return router.trunkTargets(trunk2, m.calledNumber, presented).map((g) => g.map((t) => ({ ...t, label: "dvo-callback" })));
}

// src/features/dvo/tones.ts
import { existsSync as existsSync3, mkdirSync as mkdirSync3, writeFileSync } from "node:fs";
import { join as join3 } from "node:path";
var RATE = 8e3;
var PROMPT_MS = 1500;
function render(segments) {
  const total = segments.reduce((n, s) => n + s.ms * RATE / 1e3, 0);
  const data = Buffer.alloc(total * 2);
  let i = 0;
  for (const s of segments) {
    const n = s.ms * RATE / 1e3;
    for (let k = 0; k < n; k++, i++) {
      let v = 0;
      for (const f of s.freqs) v += Math.sin(2 * Math.PI * f * k / RATE);
      const amp = s.freqs.length === 0 ? 0 : 6e3 / s.freqs.length;
      data.writeInt16LE(Math.round(v * amp), i * 2);
    }
  }
  return wav(data);
}
function wav(pcm) {
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write("WAVE", 8);
  h.write("fmt ", 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}
var on = (ms, ...freqs) => ({ ms, freqs });
var off = (ms) => ({ ms, freqs: [] });
var TONES = {
  // A slow two-note figure: recognisable as "on hold", never silent for long.
  moh: [on(500, 440), on(500, 554), on(500, 659), on(500, 554)],
  ringback: [on(1e3, 440, 480), off(3e3)],
  busy: [on(500, 480, 620), off(500)],
  prompt: [on(300, 697, 1209), off(300), on(300, 697, 1209), off(300), on(300, 697, 1209)]
};
function ensureTones(dataDir) {
  const dir = join3(dataDir, "media");
  mkdirSync3(dir, { recursive: true });
  const path = (name) => {
    const file = join3(dir, `${name}.wav`);
    if (!existsSync3(file)) writeFileSync(file, render(TONES[name]));
    return file;
  };
  return { moh: path("moh"), ringback: path("ringback"), busy: path("busy"), prompt: path("prompt"), promptMs: PROMPT_MS };
}

// src/features/session-resumption/metrics.ts
import { Counter as Counter3, Gauge as Gauge3 } from "prom-client";
var SrMetrics = class {
  reconnects;
  newCalls;
  expired;
  constructor(registry, sizes) {
    const r = [registry];
    this.reconnects = new Counter3({ name: "ma_sr_reconnects_total", help: "Redials reconnected to the held call (SR-04)", registers: r });
    this.newCalls = new Counter3({ name: "ma_sr_new_calls_total", help: "Redials that placed a new call to the stored target (SR-05)", registers: r });
    this.expired = new Counter3({ name: "ma_sr_expired_total", help: "Resumption records deleted by the Session Resumption Await Timer (SR-06)", registers: r });
    new Gauge3({
      name: "ma_sr_state",
      help: "Session resumption state sizes (must return to idle)",
      labelNames: ["kind"],
      registers: r,
      collect() {
        const s = sizes();
        this.set({ kind: "held_calls" }, s.held);
        this.set({ kind: "tracked_calls" }, s.tracked);
        this.set({ kind: "sr_timers" }, s.timers);
      }
    });
  }
};

// src/features/session-resumption/session-resumption.ts
var MOH_REPEAT = 1e3;
var SessionResumption = class {
  name = "session-resumption";
  ctx;
  tones;
  metrics;
  /** SR timers by device. */
  srTimers = new Deadlines();
  /** Desk-pickup windows of held calls, by device. */
  pickupTimers = new Deadlines();
  /** Calls this feature follows, by call id. */
  tracked = /* @__PURE__ */ new Map();
  /** The call each device's record names (SR-07: the newest connected DVO-F call). */
  current = /* @__PURE__ */ new Map();
  /** Held calls (caller lost, far end on MoH), by device. */
  held = /* @__PURE__ */ new Map();
  /** Store writes in flight, so tests and shutdown can wait for them. */
  writes = Promise.resolve();
  async start(ctx) {
    this.ctx = ctx;
    this.tones = ensureTones(ctx.config.dataDir);
    this.metrics = new SrMetrics(ctx.metrics, () => ({ held: this.held.size, tracked: this.tracked.size, timers: this.srTimers.size }));
    await this.rearm();
  }
  async close() {
    await this.settled();
    this.srTimers.clear();
    this.pickupTimers.clear();
    this.held.clear();
    this.tracked.clear();
    this.current.clear();
  }
  get c() {
    if (this.ctx === void 0) throw new Error("session resumption not started");
    return this.ctx;
  }
  /** SR-03: sessionResumptionAwaitTimerS (seconds); 0 = off. */
  timerMs() {
    return this.c.directory.mobilityParameters().sessionResumptionAwaitTimerS * 1e3;
  }
  enabled() {
    return this.ctx !== void 0 && this.timerMs() > 0;
  }
  /** Resolves when pending store writes are done. */
  settled() {
    return this.writes.then(() => void 0);
  }
  /** Store writes run one after the other, in the order the events happened. */
  write(op) {
    this.writes = this.writes.then(op).catch((e) => this.ctx?.log.error({ err: e.message }, "resumption store write failed"));
  }
  // -------------------------------------------------------------- lifecycle
  /**
   * SR-01: a DVO-F call (or a session-resumption call) connected. Stores the record
   * (replacing the device's previous one, SR-07) and follows the call. The caller of
   * this method routes the call's onCallerLost to mobileLegLost().
   */
  track(call, deviceId, mi, target) {
    if (!this.enabled()) return;
    const t = { deviceId, miId: mi.id, miNumber: mi.number, target, call };
    this.tracked.set(call.id, t);
    this.current.set(deviceId, call.id);
    this.srTimers.cancel(deviceId);
    const rec = {
      deviceId,
      miId: mi.id,
      miNumber: mi.number,
      target,
      anchoredCallRef: call.id,
      createdAt: Date.now(),
      expiresAt: null,
      nodeId: null
    };
    this.write(() => this.c.state.resumptions.put(rec));
  }
  /**
   * SR-02: the mobile PSTN leg of `call` released. Returns true when the far leg is kept
   * (held on MoH for the pickup window); the SR timer starts either way while SR is on.
   */
  mobileLegLost(call) {
    const t = this.tracked.get(call.id);
    if (t === void 0 || !this.enabled() || this.current.get(t.deviceId) !== call.id) return false;
    const now = Date.now();
    const expiresAt = now + this.timerMs();
    this.write(() => this.c.state.resumptions.update(t.deviceId, { expiresAt, anchoredCallRef: call.id }));
    this.srTimers.arm(t.deviceId, expiresAt, () => void this.expire(t.deviceId));
    const pickupMs = this.pickupWindowMs(t.deviceId);
    this.c.log.info({ callId: call.id, device: t.deviceId, pickupMs, srS: this.timerMs() / 1e3 }, "mobile leg lost: session resumption armed");
    if (pickupMs <= 0 || call.bDialog === void 0) return false;
    this.held.set(t.deviceId, call);
    this.pickupTimers.arm(t.deviceId, now + pickupMs, () => {
      if (this.held.get(t.deviceId) === call) call.hangup("server", "desk pickup window expired");
    });
    this.playMoh(call);
    return true;
  }
  /** A followed call ended (whatever the reason). */
  callEnded(call) {
    const t = this.tracked.get(call.id);
    if (t === void 0) return;
    this.tracked.delete(call.id);
    if (this.held.get(t.deviceId) === call) {
      this.held.delete(t.deviceId);
      this.pickupTimers.cancel(t.deviceId);
    }
    if (this.current.get(t.deviceId) !== call.id) return;
    this.current.delete(t.deviceId);
    if (this.srTimers.has(t.deviceId)) {
      this.write(() => this.c.state.resumptions.update(t.deviceId, { anchoredCallRef: null }));
    } else {
      this.write(() => this.c.state.resumptions.remove(t.deviceId));
    }
  }
  /** SR-08: the call moved to a desk device (desk pickup DPU-03, handoff HO-03): no resumption. */
  callMovedToDesk(callId) {
    const t = this.tracked.get(callId);
    if (t === void 0) return;
    this.tracked.delete(callId);
    this.held.delete(t.deviceId);
    this.pickupTimers.cancel(t.deviceId);
    this.srTimers.cancel(t.deviceId);
    if (this.current.get(t.deviceId) === callId) {
      this.current.delete(t.deviceId);
      this.write(() => this.c.state.resumptions.remove(t.deviceId));
    }
  }
  /** Delete a device's record and stop its timers (administration; a held call is left as it is). */
  async clear(deviceId) {
    this.srTimers.cancel(deviceId);
    const callId = this.current.get(deviceId);
    if (callId !== void 0) this.tracked.delete(callId);
    this.current.delete(deviceId);
    this.write(() => this.c.state.resumptions.remove(deviceId));
    await this.settled();
  }
  // ------------------------------------------------------------ dispatcher
  /** §14.5 step 4: the device has a record whose SR timer is running. */
  async hasLive(deviceId) {
    if (!this.enabled()) return false;
    await this.settled();
    const rec = await this.c.state.resumptions.get(deviceId);
    return rec !== void 0 && rec.expiresAt !== null && rec.expiresAt > Date.now();
  }
  /** SR-04 / SR-05 for a redial from the MI of `deviceId` (the dispatcher checked hasLive). */
  async resume(inv, deviceId) {
    const rec = await this.c.state.resumptions.get(deviceId);
    if (rec === void 0) {
      inv.reject(480, { reason: "Temporarily Unavailable - nothing to resume" });
      return;
    }
    const held = this.held.get(deviceId);
    if (held !== void 0 && held.callerLost && held.state !== "ended") {
      if (await this.reconnect(inv, held, deviceId)) return;
      if (inv.finalStatus === void 0) inv.reject(500, { reason: "Server Internal Error - resumption failed" });
      return;
    }
    this.newCall(inv, rec);
  }
  /** SR-04: answer at once, stop MoH, re-point media; no INVITE to the far end. */
  async reconnect(inv, call, deviceId) {
    await this.stopMoh(call);
    let ok = false;
    try {
      ok = await call.attachCaller(inv);
    } catch (e) {
      this.c.log.warn({ err: e.message, callId: call.id }, "reconnect failed");
    }
    if (!ok) {
      if (call.callerLost && call.state !== "ended") this.playMoh(call);
      return false;
    }
    this.held.delete(deviceId);
    this.pickupTimers.cancel(deviceId);
    this.srTimers.cancel(deviceId);
    this.write(() => this.c.state.resumptions.update(deviceId, { expiresAt: null, anchoredCallRef: call.id }));
    this.metrics?.reconnects.inc();
    this.c.log.info({ callId: call.id, device: deviceId }, "session resumed on the existing call");
    return true;
  }
  /** SR-05: a new call to the stored target, From = DN, answered when the target answers. */
  newCall(inv, rec) {
    const device2 = this.c.directory.devices.get(rec.deviceId);
    if (device2 === void 0 || device2.kind !== "mobileClient") {
      inv.reject(404, { reason: "Not Found - device gone" });
      return;
    }
    const caller = this.c.router.callerFromDevice(device2, device2.sipUsername ?? device2.id);
    const routed = routeTarget(this.c.directory, this.c.router, caller, rec.target, inv.request);
    if (!routed.ok) {
      inv.reject(routed.status, { reason: routed.reason });
      return;
    }
    this.metrics?.newCalls.inc();
    this.c.log.info({ device: rec.deviceId, target: rec.target }, "session resumption: new call to the target");
    inv.progress(180);
    const mi = { id: rec.miId, number: rec.miNumber };
    const call = this.c.startCall(inv, routed.groups, {
      onConnected: (c) => this.track(c, rec.deviceId, mi, rec.target),
      onEnd: (c) => this.callEnded(c)
    });
    call.onCallerLost = (c) => this.mobileLegLost(c);
  }
  // ------------------------------------------------------------------ timers
  async expire(deviceId) {
    await this.settled();
    const rec = await this.c.state.resumptions.get(deviceId);
    if (rec === void 0 || rec.expiresAt === null || rec.expiresAt > Date.now() + 50) return;
    await this.c.state.resumptions.remove(deviceId);
    this.metrics?.expired.inc();
    this.c.log.info({ device: deviceId }, "session resumption timer ended: record deleted");
  }
  async rearm() {
    const store = this.c.state.resumptions;
    const now = Date.now();
    for (const rec of await store.list()) {
      if (!this.enabled()) {
        await store.remove(rec.deviceId);
        continue;
      }
      if (rec.expiresAt !== null && rec.expiresAt <= now) {
        await store.remove(rec.deviceId);
        this.metrics?.expired.inc();
        continue;
      }
      const expiresAt = rec.expiresAt ?? now + this.timerMs();
      await store.update(rec.deviceId, { expiresAt, anchoredCallRef: null });
      this.srTimers.arm(rec.deviceId, expiresAt, () => void this.expire(rec.deviceId));
      this.c.log.info({ device: rec.deviceId, remainingMs: expiresAt - now }, "resumption record re-armed after restart");
    }
  }
  // -------------------------------------------------------------------- media
  pickupWindowMs(deviceId) {
    const d = this.c.directory.devices.get(deviceId);
    const user2 = d?.ownerUser === null || d?.ownerUser === void 0 ? void 0 : this.c.directory.findUser(d.ownerUser);
    return user2?.maxWaitTimeForDeskPickupMs ?? this.c.directory.mobilityParameters().maxWaitTimeForDeskPickupMs;
  }
  playMoh(call) {
    const b = call.bDialog;
    if (b === void 0 || this.c.callMedia === void 0 || this.tones === void 0) return;
    void this.c.anchor.playMedia({ callId: call.id, fromTag: b.remoteTag, file: this.tones.moh, repeatTimes: MOH_REPEAT }).catch((e) => this.c.log.warn({ err: e.message, callId: call.id }, "music on hold failed"));
  }
  async stopMoh(call) {
    const b = call.bDialog;
    if (b === void 0 || this.c.callMedia === void 0) return;
    try {
      await this.c.anchor.stopMedia({ callId: call.id, fromTag: b.remoteTag });
    } catch {
    }
  }
  // ------------------------------------------------------------- inspection
  /** For the state API and tests. */
  async records() {
    await this.settled();
    return this.c.state.resumptions.list();
  }
  heldCalls() {
    return this.held.size;
  }
};

// src/features/dvo/ctrl.ts
import { randomInt } from "node:crypto";

// src/features/dvo/sdp.ts
var DIALABLE2 = /^\+?[0-9*#A-Da-d]+$/;
function classifyDvo(body) {
  let sawPstn = false;
  let number;
  let fromMedia = false;
  let inMedia = false;
  let setup;
  let active = false;
  for (const raw of body.split(/\r?\n/)) {
    const line2 = raw.trim();
    if (line2.startsWith("m=")) {
      inMedia = true;
      continue;
    }
    const c = /^c=PSTN\s+(\S+)\s+(\S+)$/i.exec(line2);
    if (c !== null) {
      sawPstn = true;
      const addr = c[2];
      if (!fromMedia || inMedia) {
        number = c[1].toUpperCase() === "E164" && addr !== "-" && DIALABLE2.test(addr) ? addr : void 0;
        fromMedia = inMedia;
      }
      continue;
    }
    const s = /^a=setup:\s*(\S+)$/i.exec(line2);
    if (s !== null) {
      const v = s[1].toLowerCase();
      setup ??= v;
      if (v === "active") {
        active = true;
        setup = v;
      }
    }
  }
  if (!sawPstn) return void 0;
  return { kind: active ? "dvoF" : "dvoR", number, setup };
}
function buildDvoSdp(p) {
  const ipVer = p.address.includes(":") ? "IP6" : "IP4";
  return [
    "v=0",
    `o=- ${p.sessionId} 1 IN ${ipVer} ${p.address}`,
    "s=-",
    `c=PSTN E164 ${p.number}`,
    "t=0 0",
    "m=audio 9 PSTN -",
    `a=setup:${p.setup}`,
    ""
  ].join("\r\n");
}

// src/features/dvo/ctrl.ts
var CtrlLeg = class {
  constructor(inv, ua, number, setup) {
    this.inv = inv;
    this.ua = ua;
    this.sdp = buildDvoSdp({ number, setup, sessionId: String(randomInt(1, 2 ** 31)), address: inv.flow.localAddress });
    inv.onCancel = () => {
      if (this.state !== "waiting") return;
      this.state = "failed";
      inv.reject(487);
      this.handlers.onCancel?.();
    };
  }
  inv;
  ua;
  state = "waiting";
  sdp;
  dialog;
  handlers = {};
  byUs = false;
  get callId() {
    return this.inv.request.callId;
  }
  /** 183 Session Progress with the PSTN SDP (DVO-R-02, DVO-F-03). */
  progress() {
    if (this.state !== "waiting") return;
    this.inv.progress(183, { body: this.sdp, contentType: "application/sdp", reliable: true });
  }
  /** 200 OK, same SDP and o= version as the 183 (DVO-03). */
  connect() {
    if (this.state !== "waiting" || this.inv.finalStatus !== void 0) return;
    this.state = "connected";
    const dialog = this.inv.accept({ body: this.sdp, contentType: "application/sdp" });
    this.dialog = dialog;
    this.inv.onAckTimeout = () => this.ended();
    dialog.onRequest = (req, tx) => {
      if (req.method === "INVITE") {
        const r = dialog.reinvite;
        dialog.reinvite = void 0;
        r?.accept({ body: this.sdp, contentType: "application/sdp" });
        return;
      }
      tx.respond(createResponse(req, req.method === "INFO" || req.method === "OPTIONS" || req.method === "UPDATE" ? 200 : 501));
    };
    dialog.onTerminated = () => {
      if (!this.byUs) this.ended();
    };
  }
  /** Final non-2xx while waiting (D-40 codes). */
  fail(status, reason, headers) {
    if (this.state !== "waiting") return;
    this.state = "failed";
    this.inv.reject(status, { ...reason !== void 0 ? { reason } : {}, ...headers !== void 0 ? { headers } : {} });
  }
  /** BYE on CTRL (the mobile PSTN leg released, DVO-03). */
  bye() {
    if (this.state !== "connected") return;
    this.state = "ended";
    this.byUs = true;
    this.inv.stopRetransmit();
    if (this.dialog !== void 0 && this.dialog.state !== "terminated") void this.ua.bye(this.dialog);
  }
  /** The DVO call failed or ended: a final error while waiting, a BYE once answered. */
  end(status, reason) {
    if (this.state === "waiting") this.fail(status, reason);
    else this.bye();
  }
  /** Forget the CTRL without signalling (shutdown keeps the client's transaction as it is). */
  abandon() {
    this.state = "ended";
  }
  ended() {
    if (this.state !== "connected") return;
    this.state = "ended";
    this.handlers.onEnd?.();
  }
};

// src/features/dvo/dispatcher.ts
var REORDER_HEADERS = { reason: 'Q.850;cause=21;text="Call rejected"' };
function decideDispatch(i) {
  if (i.callingNumber === null || i.callingNumber === "") return { step: "refuse", status: 403, reason: "Forbidden - no calling number" };
  const m = i.lookup(i.callingNumber);
  if (m.kind !== "unique") return { step: "refuse", status: 403, reason: "Forbidden - caller not identified" };
  const identity3 = m.value;
  const deviceId = identity3.isMobilityIdentity && identity3.parent.kind === "mobileClient" ? identity3.parent.id : void 0;
  if (deviceId !== void 0 && i.hasPendingDvoF(deviceId)) return { step: "dvoF", deviceId, identity: identity3 };
  if (deviceId !== void 0 && i.hasLiveResumption(deviceId)) return { step: "resume", deviceId, identity: identity3 };
  if (!i.efaEnabled) return { step: "refuse", status: 403, reason: "Forbidden - enterprise feature access disabled" };
  return { step: "efa", identity: identity3 };
}

// src/features/dvo/dvo-f.ts
var DvoForward = class {
  constructor(ctx, metrics, sr) {
    this.ctx = ctx;
    this.metrics = metrics;
    this.sr = sr;
  }
  ctx;
  metrics;
  sr;
  /** Pending requests of this process, by device (mirrors the store). */
  waiting = /* @__PURE__ */ new Map();
  timers = new Deadlines();
  /** Connected DVO-F calls by device (D-31). */
  connected = /* @__PURE__ */ new Map();
  get pendingCount() {
    return this.waiting.size;
  }
  get connectedCount() {
    let n = 0;
    for (const s of this.connected.values()) n += s.size;
    return n;
  }
  connectedFor(deviceId) {
    return this.connected.get(deviceId)?.size ?? 0;
  }
  async hasPending(deviceId) {
    return await this.ctx.state.pendingDvo.get(deviceId) !== void 0;
  }
  /** DVO-F-05: store the pending record, send the 183, start the Call Await Timer. */
  async request(ctrl, record, device2, mi, sdpNumber, target) {
    const now = Date.now();
    const m = this.ctx.directory.mobilityParameters();
    const rec = {
      deviceId: device2.id,
      miId: mi.id,
      miNumber: mi.number,
      sdpNumber,
      target,
      ctrlDialog: { callId: ctrl.callId, localTag: ctrl.inv.localTag, remoteTag: ctrl.inv.request.from.tag ?? "" },
      createdAt: now,
      expiresAt: now + m.callAwaitTimerS * 1e3,
      nodeId: null
    };
    if (!await this.ctx.state.pendingDvo.create(rec)) {
      ctrl.fail(486, "Busy Here - DVO-F pending", { reason: 'SIP;cause=486;text="DVO-F pending"' });
      record.state = "failed";
      record.status = 486;
      return;
    }
    if (ctrl.state !== "waiting" || ctrl.inv.finalStatus !== void 0) {
      await this.ctx.state.pendingDvo.remove(device2.id);
      record.state = "failed";
      record.status = 487;
      return;
    }
    const w = { ctrl, record };
    this.waiting.set(device2.id, w);
    ctrl.handlers = { onCancel: () => void this.cancelled(device2.id, w) };
    ctrl.progress();
    this.metrics.dvoFRequests.inc();
    this.timers.arm(device2.id, rec.expiresAt, () => void this.expire(device2.id, w));
    this.ctx.log.info({ device: device2.id, target, expiresAt: rec.expiresAt }, "DVO-F pending");
  }
  /** DVO-F-10: the client CANCELled CTRL (already answered 487). */
  async cancelled(deviceId, w) {
    if (this.waiting.get(deviceId) !== w) return;
    this.waiting.delete(deviceId);
    this.timers.cancel(deviceId);
    await this.ctx.state.pendingDvo.remove(deviceId);
    if (w.record !== void 0) {
      w.record.state = "failed";
      w.record.status = 487;
      w.record.endedAt = Date.now();
    }
  }
  /** DVO-F-07: the Call Await Timer ran out. */
  async expire(deviceId, w) {
    if (this.waiting.get(deviceId) !== w) return;
    const taken = await this.ctx.state.pendingDvo.take(deviceId);
    if (this.waiting.get(deviceId) !== w) return;
    this.waiting.delete(deviceId);
    if (taken === void 0) return;
    this.metrics.dvoFExpired.inc();
    this.ctx.log.info({ device: deviceId, orphaned: w.ctrl === void 0 }, "DVO-F Call Await Timer expired");
    w.ctrl?.fail(503, "Service Unavailable - Call Await Timer expired");
    if (w.record !== void 0) {
      w.record.state = "failed";
      w.record.status = 503;
      w.record.endedAt = Date.now();
    }
  }
  /**
   * DVO-F-06 for an inbound call the dispatcher matched to `deviceId`. False when the
   * record is gone meanwhile (expired, cancelled or taken by another call): the caller
   * then dispatches the call again.
   */
  async correlate(inv, deviceId) {
    const rec = await this.ctx.state.pendingDvo.take(deviceId);
    if (rec === void 0) return false;
    const w = this.waiting.get(deviceId);
    this.waiting.delete(deviceId);
    this.timers.cancel(deviceId);
    this.metrics.dvoFCorrelated.inc();
    if (w?.ctrl !== void 0 && w.ctrl.state !== "waiting") {
      inv.reject(480, { reason: "Temporarily Unavailable - DVO-F request cancelled" });
      return true;
    }
    const ctrl = w?.ctrl;
    const record = w?.record;
    const failBoth = (status, reason) => {
      if (inv.finalStatus === void 0) inv.reject(status, { reason });
      ctrl?.fail(status, reason);
      if (record !== void 0) {
        record.state = "failed";
        record.status = status;
        record.endedAt = Date.now();
      }
    };
    if (inv.finalStatus !== void 0) {
      failBoth(480, "Temporarily Unavailable - inbound call gone");
      return true;
    }
    const device2 = this.ctx.directory.devices.get(deviceId);
    if (device2 === void 0 || device2.kind !== "mobileClient") {
      failBoth(404, "Not Found - device gone");
      return true;
    }
    if (rec.sdpNumber !== "" && rec.sdpNumber !== rec.miNumber) {
      this.ctx.log.debug({ device: deviceId }, "DVO-F correlated on the MI, not on the SDP number (DVO-F-11)");
    }
    const caller = this.ctx.router.callerFromDevice(device2, device2.sipUsername ?? device2.id);
    const routed = routeTarget(this.ctx.directory, this.ctx.router, caller, rec.target, inv.request);
    if (!routed.ok) {
      failBoth(routed.status, routed.reason);
      return true;
    }
    if (routed.groups.every((g) => g.length === 0)) {
      failBoth(480, "Temporarily Unavailable - target not registered");
      return true;
    }
    this.ctx.log.info({ device: deviceId, target: rec.target, inbound: inv.request.callId, orphaned: w?.ctrl === void 0 }, "DVO-F correlated");
    inv.progress(180);
    if (this.ctx.directory.mobilityParameters().dvoCtrlAnswerOn === "mobileLeg") ctrl?.connect();
    let connected = false;
    const mi = { id: rec.miId, number: rec.miNumber };
    const call = this.ctx.startCall(inv, routed.groups, {
      onConnected: (c) => {
        connected = true;
        let set = this.connected.get(deviceId);
        if (set === void 0) this.connected.set(deviceId, set = /* @__PURE__ */ new Set());
        set.add(c);
        ctrl?.connect();
        if (record !== void 0) {
          record.state = "connected";
          record.connectedAt = Date.now();
        }
        this.sr?.track(c, deviceId, mi, rec.target);
      },
      onEnd: (c) => {
        const set = this.connected.get(deviceId);
        set?.delete(c);
        if (set?.size === 0) this.connected.delete(deviceId);
        this.sr?.callEnded(c);
        if (!connected) {
          const status = c.a.finalStatus !== void 0 && c.a.finalStatus >= 300 ? c.a.finalStatus : 480;
          ctrl?.end(status);
          if (record !== void 0 && record.state === "setup") {
            record.state = "failed";
            record.status = status;
            record.endedAt = Date.now();
          }
          return;
        }
        ctrl?.bye();
        if (record !== void 0) {
          record.state = "ended";
          record.endedAt = Date.now();
        }
      }
    });
    if (record !== void 0) record.callRef = call.id;
    call.onCallerLost = (c) => {
      ctrl?.bye();
      return this.sr?.mobileLegLost(c) ?? false;
    };
    if (ctrl !== void 0) {
      ctrl.handlers = {
        onCancel: () => call.hangup("a", "DVO client CANCEL"),
        // A CTRL BYE while the mobile leg is up releases it and the far leg; after, CTRL only (D-29).
        onEnd: () => {
          if (call.state !== "ended" && !call.callerLost) call.hangup("server", "CTRL released");
        }
      };
    }
    return true;
  }
  /** After a restart: re-arm every persisted pending record with its remaining time. */
  async rearm() {
    const store = this.ctx.state.pendingDvo;
    const now = Date.now();
    for (const rec of await store.list()) {
      if (rec.expiresAt <= now) {
        await store.remove(rec.deviceId);
        this.metrics.dvoFExpired.inc();
        this.ctx.log.info({ device: rec.deviceId }, "pending DVO-F expired while the server was down");
        continue;
      }
      const w = { ctrl: void 0, record: void 0 };
      this.waiting.set(rec.deviceId, w);
      this.timers.arm(rec.deviceId, rec.expiresAt, () => void this.expire(rec.deviceId, w));
      this.ctx.log.warn({ device: rec.deviceId, remainingMs: rec.expiresAt - now }, "pending DVO-F re-armed after restart (its CTRL dialog is gone)");
    }
  }
  /** Shutdown: timers stop, records stay in the store (restart survival), CTRL is left as it is. */
  close() {
    this.timers.clear();
    for (const w of this.waiting.values()) w.ctrl?.abandon();
    this.waiting.clear();
  }
};

// src/b2bua/outbound-bridge.ts
var FLAGS = ["port-latching"];
var OutboundLeg = class {
  constructor(role, target, handlers, mediaTag) {
    this.role = role;
    this.target = target;
    this.handlers = handlers;
    this.mediaTag = mediaTag;
  }
  role;
  target;
  handlers;
  state = "calling";
  sentAt = Date.now();
  answeredAt;
  dialog;
  invite;
  /** The leg's media tag in the anchor. */
  mediaTag;
  /** The peer's latest SDP. */
  sdp;
  /** We hung up / cancelled it: later events are ours, not the peer's. */
  local = false;
  /** Cancelled by its ring timer: reported as 480, not 487. */
  noAnswer = false;
  ringTimer;
};
var OutboundBridge = class {
  constructor(opts) {
    this.opts = opts;
  }
  opts;
  /** The anchor's call id (also the first leg's Call-ID). */
  callId = newCallId();
  first;
  second;
  /** Media tag of the second side: fixed before that leg exists. */
  secondTag = `b2-${newTag()}`;
  /** rtpengine's SDP towards the second side (the second leg's offer), once the first leg answered. */
  secondOffer;
  released = false;
  mediaUsed = false;
  get log() {
    return this.opts.log;
  }
  /** Both legs answered and media joined. */
  get bridged() {
    return this.first?.state === "answered" && this.second?.state === "answered";
  }
  /** Call the first leg (e.g. the callback to the mobile). Rejects when the anchor fails. */
  async callFirst(target, handlers) {
    if (this.first !== void 0) throw new Error("first leg already placed");
    this.mediaUsed = true;
    const r = await this.opts.anchor.offer({ callId: this.callId, fromTag: this.secondTag, sdp: placeholderOffer(), flags: FLAGS });
    const leg = new OutboundLeg("first", target, handlers, "");
    this.first = leg;
    if (this.released) {
      leg.state = "ended";
      return leg;
    }
    this.launch(leg, r.sdp, this.callId);
    return leg;
  }
  /** Call the second leg (the target) once the first one has answered. */
  callSecond(target, handlers) {
    if (this.first?.state !== "answered" || this.secondOffer === void 0) throw new Error("first leg not answered");
    if (this.second !== void 0) throw new Error("second leg already placed");
    const leg = new OutboundLeg("second", target, handlers, this.secondTag);
    this.second = leg;
    this.launch(leg, this.secondOffer, void 0);
    return leg;
  }
  /** Play a file to one (answered) leg: prompts, ringback, busy tone. Resolves with its length when known. */
  async play(leg, file, repeatTimes) {
    const r = await this.opts.anchor.playMedia({ callId: this.callId, fromTag: leg.mediaTag, file, ...repeatTimes !== void 0 ? { repeatTimes } : {} });
    return r.durationMs;
  }
  async stopPlay(leg) {
    try {
      await this.opts.anchor.stopMedia({ callId: this.callId, fromTag: leg.mediaTag });
    } catch {
    }
  }
  /** End one leg: BYE when answered, CANCEL while it rings. No handler is called for it afterwards. */
  hangupLeg(leg, reason) {
    if (leg === void 0 || leg.state === "ended") return;
    leg.local = true;
    this.clearRing(leg);
    const was = leg.state;
    leg.state = "ended";
    if (leg.dialog !== void 0) {
      if (leg.dialog.state !== "terminated") void this.opts.ua.bye(leg.dialog);
    } else if (was === "calling") leg.invite?.cancel(reason);
  }
  /** End both legs and the media session. Idempotent. */
  release() {
    if (this.released) return;
    this.released = true;
    this.hangupLeg(this.first);
    this.hangupLeg(this.second);
    if (this.mediaUsed) void this.opts.anchor.delete({ callId: this.callId }).catch(() => void 0);
  }
  // ---------------------------------------------------------------- internals
  launch(leg, offer, callId) {
    const t = leg.target;
    const ua = this.opts.ua;
    const req = ua.createRequest({
      method: "INVITE",
      uri: t.uri,
      from: t.from,
      to: t.to,
      ...callId !== void 0 ? { callId } : {},
      options: { headers: { supported: "replaces, timer", ...t.headers ?? {} }, body: offer, contentType: "application/sdp" }
    });
    leg.invite = ua.invite(req, t.destination, {
      onProvisional: (res) => {
        if (leg.state === "calling" && !leg.local) leg.handlers.onProvisional?.(res);
      },
      onAnswer: (res, dialog) => this.onAnswer(leg, res, dialog),
      onFailure: (res) => {
        this.clearRing(leg);
        if (leg.state !== "calling") return;
        leg.state = "ended";
        if (!leg.local) leg.handlers.onFailure?.(leg.noAnswer ? 480 : res.status);
      }
    });
    if (t.ringTimeoutMs !== void 0 && t.ringTimeoutMs > 0) {
      leg.ringTimer = setTimeout(() => {
        leg.ringTimer = void 0;
        if (leg.state !== "calling") return;
        leg.noAnswer = true;
        leg.invite?.cancel();
      }, t.ringTimeoutMs);
    }
  }
  onAnswer(leg, res, dialog) {
    this.clearRing(leg);
    if (leg.state !== "calling" || leg.local || this.released) {
      void this.opts.ua.bye(dialog);
      return;
    }
    leg.dialog = dialog;
    leg.answeredAt = Date.now();
    leg.sdp = res.body.length > 0 ? res.bodyText : void 0;
    if (leg.role === "first") leg.mediaTag = res.to.tag ?? "";
    this.bind(leg, dialog);
    void this.joinMedia(leg).then(
      () => {
        if (leg.state !== "calling" || leg.local) return;
        leg.state = "answered";
        leg.handlers.onAnswer?.(res);
      },
      (e) => {
        this.log.warn({ err: e.message, leg: leg.role }, "anchoring the answered leg failed");
        if (leg.state !== "calling" || leg.local) return;
        leg.state = "ended";
        leg.local = true;
        void this.opts.ua.bye(dialog);
        leg.handlers.onFailure?.(503);
      }
    );
  }
  async joinMedia(leg) {
    if (leg.sdp === void 0) throw new Error("2xx without SDP answer");
    const a = this.opts.anchor;
    if (leg.role === "first") {
      const r = await a.answer({ callId: this.callId, fromTag: this.secondTag, toTag: leg.mediaTag, sdp: leg.sdp, flags: FLAGS });
      this.secondOffer = r.sdp;
      return;
    }
    const first = this.first;
    await a.offer({ callId: this.callId, fromTag: this.secondTag, toTag: first.mediaTag, sdp: leg.sdp, flags: FLAGS });
    await a.answer({ callId: this.callId, fromTag: this.secondTag, toTag: first.mediaTag, sdp: first.sdp, flags: FLAGS });
  }
  bind(leg, dialog) {
    dialog.owner = this;
    dialog.onRequest = (req, tx) => this.onRequest(leg, dialog, req, tx);
    dialog.onTerminated = () => {
      if (leg.local || leg.state === "ended") return;
      leg.state = "ended";
      this.clearRing(leg);
      leg.handlers.onBye?.();
    };
  }
  onRequest(leg, dialog, req, tx) {
    switch (req.method) {
      case "INFO":
        tx.respond(createResponse(req, 200));
        leg.handlers.onInfo?.(req);
        return;
      case "OPTIONS":
        tx.respond(createResponse(req, 200));
        return;
      case "UPDATE":
        tx.respond(createResponse(req, req.body.length === 0 ? 200 : 488));
        return;
      case "INVITE":
        this.answerReinvite(leg, dialog, req);
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }
  /**
   * A re-INVITE (hold, resume, new address) from one leg is answered locally through the
   * anchor against the other side's current SDP: the other leg never sees it (port
   * latching keeps its ports), so no offer/answer ever crosses between the two legs.
   */
  answerReinvite(leg, dialog, req) {
    const incoming = dialog.reinvite;
    dialog.reinvite = void 0;
    if (incoming === void 0) return;
    if (req.body.length === 0 || leg.state !== "answered") {
      incoming.reject(req.body.length === 0 ? 488 : 491);
      return;
    }
    const other = leg.role === "first" ? this.second : this.first;
    const otherTag = leg.role === "first" ? this.secondTag : this.first.mediaTag;
    const otherSdp = other?.state === "answered" && other.sdp !== void 0 ? other.sdp : placeholderAnswer(req.bodyText);
    leg.sdp = req.bodyText;
    const a = this.opts.anchor;
    void (async () => {
      await a.offer({ callId: this.callId, fromTag: leg.mediaTag, toTag: otherTag, sdp: req.bodyText, flags: FLAGS });
      const r = await a.answer({ callId: this.callId, fromTag: leg.mediaTag, toTag: otherTag, sdp: otherSdp, flags: FLAGS });
      incoming.accept({ body: r.sdp, contentType: "application/sdp" });
    })().catch((e) => {
      this.log.warn({ err: e.message }, "re-INVITE on a bridged leg failed");
      incoming.reject(500);
    });
  }
  clearRing(leg) {
    if (leg.ringTimer !== void 0) clearTimeout(leg.ringTimer);
    leg.ringTimer = void 0;
  }
};

// src/features/dvo/dvo-r.ts
var FAILOVER2 = /* @__PURE__ */ new Set([408, 500, 502, 503, 504]);
var BUSY_TONE_MS = 3e3;
var REPEAT_FOREVER = 1e3;
var DvoReverseCall = class {
  constructor(p) {
    this.p = p;
    this.bridge = new OutboundBridge({ ua: p.ctx.ua, anchor: p.ctx.anchor, log: p.ctx.log.child({ dvo: "R", ctrl: p.ctrl.callId }) });
    p.record.callRef = this.bridge.callId;
    p.ctrl.handlers = {
      onCancel: () => this.finish("cancelled by the client", 487),
      onEnd: () => this.finish("CTRL ended")
    };
  }
  p;
  bridge;
  phase = "callback";
  callback;
  targetLeg;
  timers = /* @__PURE__ */ new Set();
  digitSeen = false;
  released = false;
  get log() {
    return this.bridge.log;
  }
  get callId() {
    return this.bridge.callId;
  }
  /** 183 on CTRL, then the callback at once (no Delay Before Ringing, DVO-R-03). */
  async start() {
    this.p.ctrl.progress();
    await this.placeCallback(0);
  }
  /** Server shutdown: release the legs, leave CTRL as it is. */
  abort() {
    this.p.ctrl.abandon();
    this.phase = "done";
    this.release();
  }
  // ------------------------------------------------------------- callback leg
  async placeCallback(i) {
    const target = this.p.callbacks[i]?.[0];
    if (target === void 0) return this.fail(480, "Temporarily Unavailable - callback failed");
    const m = this.p.ctx.directory.mobilityParameters();
    const mi = this.p.mi;
    const ringTimeoutMs = this.p.toMi ? mi.answerTooLateMs : m.dvoAlternateCallbackRingTimeoutS * 1e3;
    const t = { ...target, ...ringTimeoutMs > 0 ? { ringTimeoutMs } : {} };
    try {
      this.callback = await this.bridge.callFirst(t, {
        onAnswer: () => this.onCallbackAnswer(),
        onFailure: (status) => {
          if (this.phase !== "callback") return;
          if (FAILOVER2.has(status) && i + 1 < this.p.callbacks.length) {
            this.bridge.first = void 0;
            void this.placeCallback(i + 1);
            return;
          }
          this.p.metrics.dvoRCallbacks.inc({ result: "failed" });
          this.fail(480, "Temporarily Unavailable - callback not answered");
        },
        onBye: () => this.onCallbackBye(),
        onInfo: (info) => this.onInfo(info)
      });
    } catch (e) {
      this.log.error({ err: e.message }, "media anchor unavailable for the callback");
      this.fail(503, "Service Unavailable - media anchor unavailable");
    }
  }
  onCallbackAnswer() {
    if (this.phase !== "callback" || this.callback === void 0) return;
    const leg = this.callback;
    if (!this.p.toMi) return this.accepted();
    const m = this.p.ctx.directory.mobilityParameters();
    const mi = this.p.mi;
    const policy = mi.snrVoicemailPolicy === "useSystemDefault" ? m.voicemailSelectionPolicy : mi.snrVoicemailPolicy;
    const afterMs = (leg.answeredAt ?? Date.now()) - leg.sentAt;
    if (policy === "userControl") return this.confirm(m.userControlPromptDelayMs, m.userControlDtmfWaitMs);
    if (mi.answerTooSoonMs > 0 && afterMs < mi.answerTooSoonMs) {
      this.log.info({ afterMs }, "callback answered too soon: dropped");
      this.p.metrics.dvoRCallbacks.inc({ result: "failed" });
      return this.fail(480, "Temporarily Unavailable - callback answered too soon");
    }
    this.accepted();
  }
  /** VMA-03 on the callback leg: prompt after a delay, then wait for any key. */
  confirm(promptDelayMs, waitMs) {
    this.phase = "confirm";
    const leg = this.callback;
    this.after(promptDelayMs, () => {
      if (this.phase !== "confirm") return;
      void this.bridge.play(leg, this.p.tones.prompt).then(
        (d) => this.after((d ?? this.p.tones.promptMs) + waitMs, () => this.noKey()),
        (e) => {
          this.log.warn({ err: e.message }, "prompt failed");
          this.after(this.p.tones.promptMs + waitMs, () => this.noKey());
        }
      );
    });
    if (this.digitSeen) this.accepted();
  }
  noKey() {
    if (this.phase !== "confirm") return;
    this.log.info({}, "no key pressed on the callback leg: dropped");
    this.p.metrics.dvoRCallbacks.inc({ result: "failed" });
    this.fail(480, "Temporarily Unavailable - callback not accepted");
  }
  /** Any DTMF digit over INFO counts as the key press (VMA-03); RFC 4733 digits are not seen here. */
  onInfo(info) {
    const body = info.bodyText;
    const digit = /Signal\s*=\s*([0-9*#A-D])/i.exec(body)?.[1] ?? /^\s*([0-9*#A-D])\s*$/i.exec(body)?.[1];
    if (digit === void 0) return;
    this.digitSeen = true;
    if (this.phase === "confirm") {
      void this.bridge.stopPlay(this.callback);
      this.accepted();
    }
  }
  /** The callback leg is accepted: ringback to the mobile, and the target is called (DVO-R-05). */
  accepted() {
    if (this.phase !== "callback" && this.phase !== "confirm") return;
    this.clearTimers();
    this.phase = "target";
    this.p.metrics.dvoRCallbacks.inc({ result: "answered" });
    if (this.p.ctx.directory.mobilityParameters().dvoCtrlAnswerOn === "mobileLeg") this.p.ctrl.connect();
    const leg = this.callback;
    void this.bridge.play(leg, this.p.tones.ringback, REPEAT_FOREVER).catch((e) => this.log.warn({ err: e.message }, "ringback failed"));
    const routed = routeTarget(this.p.ctx.directory, this.p.ctx.router, this.p.caller, this.p.target, this.p.ctrl.inv.request);
    if (!routed.ok) return this.targetFailed(routed.status);
    const groups = routed.groups.filter((g) => g.length > 0);
    if (groups.length === 0) return this.targetFailed(480);
    this.placeTarget(groups, 0);
  }
  onCallbackBye() {
    if (this.phase === "connected") this.finish("mobile leg released");
    else this.fail(480, "Temporarily Unavailable - callback released");
  }
  // --------------------------------------------------------------- target leg
  /** One contact at a time: the first registered contact of a line, else each gateway in failover order. */
  placeTarget(groups, i) {
    const t = groups[i]?.[0];
    if (t === void 0) return this.targetFailed(480);
    this.targetLeg = this.bridge.callSecond(t, {
      onAnswer: () => {
        if (this.phase !== "target") return;
        this.phase = "connected";
        void this.bridge.stopPlay(this.callback);
        this.p.record.state = "connected";
        this.p.record.connectedAt = Date.now();
        this.p.ctrl.connect();
        this.log.info({ anchored: this.p.toMi }, "DVO-R call connected");
      },
      onFailure: (status) => {
        if (this.phase !== "target") return;
        if (FAILOVER2.has(status) && i + 1 < groups.length) {
          this.bridge.second = void 0;
          this.placeTarget(groups, i + 1);
          return;
        }
        this.targetFailed(status);
      },
      onBye: () => this.finish("target released")
    });
  }
  /** DVO-R-07: busy or reorder tone to the mobile, then BYE; CTRL gets the target's status. */
  targetFailed(status) {
    if (this.phase !== "target") return;
    this.phase = "done";
    const leg = this.callback;
    const s = status === 600 || status === 603 ? 486 : statusForCaller(status);
    this.failCtrl(s === 487 ? 480 : s, void 0);
    void this.bridge.stopPlay(leg).then(() => this.bridge.play(leg, this.p.tones.busy, REPEAT_FOREVER)).catch((e) => this.log.warn({ err: e.message }, "busy tone failed"));
    this.after(BUSY_TONE_MS, () => this.release());
  }
  // ------------------------------------------------------------------ endings
  /** Failure before connect: release every leg, CTRL gets `status`. */
  fail(status, reason) {
    if (this.phase === "done") return;
    this.phase = "done";
    this.failCtrl(status, reason);
    this.release();
  }
  failCtrl(status, reason) {
    this.p.ctrl.end(status, reason);
    if (this.p.record.state === "setup") {
      this.p.record.state = "failed";
      this.p.record.status = status;
      this.p.record.endedAt = Date.now();
    }
  }
  /** The call is over for any reason (CANCEL, a BYE from anyone, shutdown). */
  finish(why, ctrlStatus) {
    if (this.phase === "done") return;
    const connected = this.phase === "connected";
    this.phase = "done";
    this.log.debug({ why }, "DVO-R call ends");
    if (connected) this.p.ctrl.bye();
    else if (ctrlStatus !== void 0) this.failCtrl(ctrlStatus, void 0);
    else this.failCtrl(480, void 0);
    this.release();
  }
  release() {
    if (this.released) return;
    this.released = true;
    this.clearTimers();
    this.bridge.release();
    if (this.p.record.state === "connected") {
      this.p.record.state = "ended";
      this.p.record.endedAt = Date.now();
    }
    this.p.onDone();
  }
  after(ms, fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
  clearTimers() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
};

// src/features/dvo/preconditions.ts
var MAX_CONNECTED_DVO_F = 2;
function checkDvoRequest(f) {
  if (!f.dvoEnabled) return { ok: false, status: 403, reason: "Forbidden - DVO is not enabled for this device" };
  if (!f.registered) return { ok: false, status: 403, reason: "Forbidden - device not registered" };
  if (!f.efaConfigured) return { ok: false, status: 503, reason: "Service Unavailable - no EFA number configured" };
  if (f.kind === "dvoF" && !f.dvoForwardCapable) return { ok: false, status: 403, reason: "Forbidden - device is not DVO-F capable" };
  if (!f.hasMi) return { ok: false, status: 403, reason: "Forbidden - device has no mobility identity" };
  if (f.targetBlocked) return { ok: false, status: 403, reason: "Forbidden - target not allowed for DVO" };
  if (!f.targetRoutable) return { ok: false, status: 404, reason: "Not Found - target not routable" };
  if (f.kind === "dvoF" && f.pending) {
    return { ok: false, status: 486, reason: "Busy Here - DVO-F pending", headers: { reason: 'SIP;cause=486;text="DVO-F pending"' } };
  }
  if (f.kind === "dvoF" && f.connectedDvoF >= MAX_CONNECTED_DVO_F) return { ok: false, status: 486, reason: "Busy Here - two DVO-F calls connected" };
  return { ok: true };
}
function isBlockedTarget(target, emergency, blocked) {
  const norm = (s) => s.replace(/[^0-9+*#A-Da-d]/g, "");
  const t = norm(target);
  if (t === "") return false;
  return emergency.some((e) => norm(e) === t) || blocked.some((b) => norm(b) === t);
}

// src/features/dvo/records.ts
import { Counter as Counter4, Gauge as Gauge4 } from "prom-client";
var MAX_RECORDS = 500;
var DvoCallRecords = class {
  list = [];
  add(r) {
    this.list.push(r);
    if (this.list.length > MAX_RECORDS) this.list.splice(0, this.list.length - MAX_RECORDS);
    return r;
  }
  all() {
    return this.list;
  }
  get(id2) {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].id === id2) return this.list[i];
    return void 0;
  }
};
var DvoMetrics = class {
  dvoFRequests;
  dvoFCorrelated;
  dvoFExpired;
  dvoRCallbacks;
  dvoRejected;
  dispatched;
  constructor(registry, sizes) {
    const r = [registry];
    this.dvoFRequests = new Counter4({ name: "ma_dvo_f_requests_total", help: "DVO-F requests accepted (183 sent, Call Await Timer started)", registers: r });
    this.dvoFCorrelated = new Counter4({ name: "ma_dvo_f_correlated_total", help: "Inbound calls correlated with a pending DVO-F request", registers: r });
    this.dvoFExpired = new Counter4({ name: "ma_dvo_f_expired_total", help: "Pending DVO-F requests whose Call Await Timer ran out", registers: r });
    this.dvoRCallbacks = new Counter4({ name: "ma_dvo_r_callbacks_total", help: "DVO-R callback legs by result (answered = accepted by the user)", labelNames: ["result"], registers: r });
    this.dvoRejected = new Counter4({ name: "ma_dvo_rejected_total", help: "DVO requests refused by a precondition", labelNames: ["kind", "status"], registers: r });
    this.dispatched = new Counter4({ name: "ma_efa_dispatch_total", help: "Inbound calls to an EFA number or the DVO-F access number, by dispatcher step", labelNames: ["step"], registers: r });
    new Gauge4({
      name: "ma_dvo_state",
      help: "DVO runtime state sizes (must return to idle)",
      labelNames: ["kind"],
      registers: r,
      collect() {
        const s = sizes();
        this.set({ kind: "pending_dvo_f" }, s.pendingDvoF);
        this.set({ kind: "dvo_r_active" }, s.dvoRActive);
        this.set({ kind: "dvo_f_connected" }, s.dvoFConnected);
      }
    });
  }
};

// src/features/dvo/feature.ts
var DvoFeature = class {
  constructor(options = {}) {
    this.options = options;
  }
  options;
  name = "dvo";
  featureIds = ["efa"];
  ctx;
  tones;
  metrics;
  forward;
  records = new DvoCallRecords();
  reverse = /* @__PURE__ */ new Set();
  /** Work started by onInvite, awaited by close() and tests. */
  inFlight = /* @__PURE__ */ new Set();
  async start(ctx) {
    this.ctx = ctx;
    this.tones = ensureTones(ctx.config.dataDir);
    this.metrics = new DvoMetrics(ctx.metrics, () => ({
      pendingDvoF: this.forward?.pendingCount ?? 0,
      dvoRActive: this.reverse.size,
      dvoFConnected: this.forward?.connectedCount ?? 0
    }));
    this.forward = new DvoForward(ctx, this.metrics, this.options.sr);
    await this.forward.rearm();
  }
  async close() {
    await Promise.allSettled([...this.inFlight]);
    this.forward?.close();
    for (const r of [...this.reverse]) r.abort();
    this.reverse.clear();
  }
  onInvite(inv, caller, ctx) {
    const req = inv.request;
    if (caller.kind === "device") {
      if (req.body.length === 0 || !(req.contentType ?? "application/sdp").startsWith("application/sdp")) return false;
      const dvo = classifyDvo(req.bodyText);
      if (dvo === void 0) return false;
      this.run(this.handleRequest(inv, caller, dvo), inv, ctx);
      return true;
    }
    if (!this.isDispatcherCall(inv, caller, ctx)) return false;
    this.run(this.dispatch(inv, caller), inv, ctx);
    return true;
  }
  onFeature(inv, caller, _decision, ctx) {
    if (caller.kind === "trunk") {
      this.run(this.dispatch(inv, caller), inv, ctx);
      return;
    }
    inv.reject(403, { reason: "Forbidden - EFA is reached from a remote destination", headers: REORDER_HEADERS });
  }
  // ----------------------------------------------------------------- inspection
  /** DVO call records, oldest first (GEN-07; DVO-R-08 `anchored`). */
  callRecords() {
    return this.records.all();
  }
  /** The state API's view of pending DVO-F requests. */
  async pendingRecords() {
    return this.c.state.pendingDvo.list();
  }
  /** Runtime sizes (must return to 0 when idle). */
  sizes() {
    return { pendingDvoF: this.forward?.pendingCount ?? 0, dvoRActive: this.reverse.size, dvoFConnected: this.forward?.connectedCount ?? 0, inFlight: this.inFlight.size };
  }
  // -------------------------------------------------------------------- internals
  get c() {
    if (this.ctx === void 0) throw new Error("DVO feature not started");
    return this.ctx;
  }
  run(p, inv, ctx) {
    const tracked = p.catch((e) => {
      ctx.log.error({ err: e.message, stack: e.stack, callId: inv.request.callId }, "DVO handling failed");
      if (inv.finalStatus === void 0) inv.reject(500);
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
  /** Trunk calls for §14.5: the service access number, or an EFA number the inbound CSS reaches. */
  isDispatcherCall(inv, caller, ctx) {
    const raw = ctx.router.dialled(inv.request);
    if (raw === void 0 || raw === "") return false;
    const translated = globalise(raw, caller.trunk.inboundRules, "called");
    const n = ctx.directory.dispatcherNumber(translated) ?? ctx.directory.dispatcherNumber(raw);
    if (n === void 0) return false;
    if (n.kind === "serviceAccessNumber") return true;
    if (caller.trunk.inboundCss === null) return false;
    const m = ctx.directory.resolve(unescapeDialable(n.efa.number), caller.trunk.inboundCss);
    return m !== void 0 && m.target.kind === "feature" && m.target.id === "efa";
  }
  // ---------------------------------------------------------------- DVO requests
  async handleRequest(inv, caller, dvo) {
    const ctx = this.c;
    const device2 = caller.device;
    const m = ctx.directory.mobilityParameters();
    const target = ctx.router.dialled(inv.request) ?? "";
    const mobile = device2.kind === "mobileClient" ? device2 : void 0;
    const mi = mobile === void 0 ? void 0 : ctx.directory.mobilityIdentityOf(mobile.id);
    const aorUser = device2.aor === null ? void 0 : /^sips?:([^@]+)@/i.exec(device2.aor)?.[1];
    const blocked = m.applyBlockedNumbersToDvo ? parseBlockedNumbers(m.systemRemoteAccessBlockedNumbers) : [];
    const verdict = checkDvoRequest({
      kind: dvo.kind,
      dvoEnabled: mobile !== void 0 && mobile.dvoEnabled && mobile.hasCellularRadio,
      registered: aorUser !== void 0 && ctx.registrar.lookup(aorUser).length > 0,
      efaConfigured: defaultEfaNumber2(m) !== void 0,
      dvoForwardCapable: mobile?.dvoForwardCapable === true,
      hasMi: mi !== void 0,
      targetBlocked: isBlockedTarget(target, mobile?.emergencyNumbers ?? [], blocked),
      targetRoutable: targetRoutable(ctx.directory, caller, target),
      pending: dvo.kind === "dvoF" && mobile !== void 0 ? await this.forward.hasPending(mobile.id) : false,
      connectedDvoF: mobile === void 0 ? 0 : this.forward.connectedFor(mobile.id)
    });
    if (!verdict.ok) {
      this.metrics.dvoRejected.inc({ kind: dvo.kind, status: String(verdict.status) });
      ctx.log.info({ device: device2.id, kind: dvo.kind, status: verdict.status, reason: verdict.reason }, "DVO request refused");
      inv.reject(verdict.status, { reason: verdict.reason, ...verdict.headers !== void 0 ? { headers: verdict.headers } : {} });
      return;
    }
    if (inv.finalStatus !== void 0) return;
    if (dvo.kind === "dvoR") await this.startReverse(inv, caller, mobile, mi, dvo, target);
    else await this.startForward(inv, mobile, mi, dvo, target);
  }
  /** §14.2. Media anchoring is required: the two legs are bridged through rtpengine. */
  async startReverse(inv, caller, device2, mi, dvo, target) {
    const ctx = this.c;
    if (ctx.callMedia === void 0) {
      inv.reject(503, { reason: "Service Unavailable - DVO-R needs media anchoring" });
      return;
    }
    const m = ctx.directory.mobilityParameters();
    const callbackNumber = dvo.number ?? mi.number;
    const toMi = numbersMatch(callbackNumber, mi.number, ctx.directory.matchOptions());
    const callerId = callbackCallerId(ctx.directory, mi, m);
    const callbacks = callbackTargets(ctx.directory, ctx.router, device2, callbackNumber, callerId);
    if (callbacks === void 0 || callbacks.length === 0) {
      inv.reject(480, { reason: "Temporarily Unavailable - callback number not routable" });
      return;
    }
    const ctrl = new CtrlLeg(inv, ctx.ua, callerId, "active");
    const record = this.records.add({ id: ctrl.callId, origin: "dvoR", deviceId: device2.id, target, callbackNumber, anchored: toMi, state: "setup", startedAt: Date.now() });
    ctx.log.info({ device: device2.id, target, callbackNumber, anchored: toMi }, "DVO-R request");
    const call = new DvoReverseCall({
      ctx,
      tones: this.tones,
      metrics: this.metrics,
      record,
      ctrl,
      caller,
      device: device2,
      mi,
      callbacks,
      toMi,
      target,
      onDone: () => this.reverse.delete(call)
    });
    this.reverse.add(call);
    await call.start();
  }
  /** §14.3: 183 with the number to dial, pending record, Call Await Timer. */
  async startForward(inv, device2, mi, dvo, target) {
    const ctx = this.c;
    const number = dialInNumber(ctx.directory.mobilityParameters());
    if (dvo.number !== void 0 && !numbersMatch(dvo.number, mi.number, ctx.directory.matchOptions())) {
      ctx.log.warn({ device: device2.id, sdpNumber: dvo.number, mi: mi.number }, "DVO-F SDP number is not the device MI: correlating on the MI (DVO-F-11)");
    }
    const ctrl = new CtrlLeg(inv, ctx.ua, number, "passive");
    const record = this.records.add({ id: ctrl.callId, origin: "dvoF", deviceId: device2.id, target, anchored: true, state: "setup", startedAt: Date.now() });
    await this.forward.request(ctrl, record, device2, mi, dvo.number ?? "", target);
  }
  // ------------------------------------------------------------------ dispatcher
  async dispatch(inv, caller, again = false) {
    const ctx = this.c;
    const calling = caller.callingNumber;
    const lookup = calling === null ? { kind: "none" } : ctx.directory.findRemoteDestinationByNumber(calling);
    const id2 = lookup.kind === "unique" && lookup.value.isMobilityIdentity && lookup.value.parent.kind === "mobileClient" ? lookup.value.parent.id : void 0;
    const pending2 = id2 !== void 0 ? await this.forward.hasPending(id2) : false;
    const live = id2 !== void 0 && !pending2 && this.options.sr !== void 0 ? await this.options.sr.hasLive(id2) : false;
    const m = ctx.directory.mobilityParameters();
    const d = decideDispatch({
      callingNumber: calling,
      lookup: () => lookup,
      hasPendingDvoF: () => pending2,
      hasLiveResumption: () => live,
      efaEnabled: m.enableEnterpriseFeatureAccess
    });
    this.metrics.dispatched.inc({ step: d.step });
    ctx.log.info({ callId: inv.request.callId, calling, step: d.step }, "EFA-number dispatcher");
    if (inv.finalStatus !== void 0) return;
    switch (d.step) {
      case "refuse":
        inv.reject(d.status, { reason: d.reason, headers: REORDER_HEADERS });
        return;
      case "dvoF":
        if (await this.forward.correlate(inv, d.deviceId)) return;
        if (!again) return this.dispatch(inv, caller, true);
        inv.reject(480, { reason: "Temporarily Unavailable - DVO-F request gone" });
        return;
      case "resume":
        await this.options.sr.resume(inv, d.deviceId);
        return;
      case "efa":
        if (this.options.efa !== void 0) this.options.efa(inv, caller, d.identity, ctx);
        else inv.reject(403, { reason: "Forbidden - EFA two-stage dialling not available", headers: REORDER_HEADERS });
        return;
    }
  }
};

// src/features/dvo/index.ts
function dvoFeatures(options = {}) {
  const sr = new SessionResumption();
  return [new DvoFeature({ ...options, sr }), sr];
}

// src/features/index.ts
function builtinFeatures() {
  return [...dvoFeatures(), new SnrFeature(snrOptionsFromEnv())];
}

// src/server.ts
async function startServer(config, options = {}) {
  const log = options.logger ?? pino2({ level: config.log.level, base: { svc: "mobility-anchor" } });
  mkdirSync4(config.dataDir, { recursive: true });
  const cleanups = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        log.warn({ err: e.message }, "cleanup step failed");
      }
    }
  };
  try {
    const directory = new Directory({ path: join4(config.dataDir, "directory.sqlite"), mobility: config.mobility, domain: config.domain });
    cleanups.push(() => directory.close());
    for (const file of config.provisionFiles) {
      const r = applyProvisioningFile(directory, file);
      log.info({ file, created: r.created, updated: r.updated, warnings: r.warnings }, "provisioning applied");
    }
    const state = openLocalStateStores(join4(config.dataDir, "state.sqlite"));
    cleanups.push(() => state.close());
    let rtpengine;
    const instances = [];
    if (config.media.rtpengines !== void 0) instances.push(...config.media.rtpengines);
    else if (config.media.rtpengine !== void 0) {
      const r = config.media.rtpengine;
      if (r.launch) {
        rtpengine = await startRtpengine({ ngPort: r.ngPort, portMin: r.portMin, portMax: r.portMax, binary: r.binary, interface: r.host });
        cleanups.push(() => rtpengine?.stop());
        log.info({ ngPort: r.ngPort, pid: rtpengine.pid }, "rtpengine started");
      }
      instances.push({ host: r.host, port: r.ngPort });
    }
    const metrics = new Metrics(
      () => sizes(),
      () => flatStats()
    );
    const anchor = await MediaAnchor.create({
      instances,
      timeoutMs: config.media.ngTimeoutMs,
      observer: {
        onCommand: (e) => {
          metrics.mediaCommands.inc({ command: e.command, outcome: e.outcome });
          metrics.mediaLatency.observe({ command: e.command }, e.latencyMs / 1e3);
          if (e.outcome !== "ok") log.warn({ instance: e.instance, command: e.command, outcome: e.outcome, reason: e.reason }, "rtpengine command failed");
        },
        onFailover: (e) => log.warn({ callId: e.callId, from: e.from, reason: e.reason }, "rtpengine failover")
      }
    });
    cleanups.push(() => anchor.close());
    const callMedia = config.media.anchor ? new CallMedia(anchor) : void 0;
    const realm = config.auth.realm ?? config.domain;
    const digest = new DigestServer({
      realm,
      secret: randomBytes9(32),
      nonceTtlMs: config.auth.nonceTtlS * 1e3,
      algorithms: config.auth.algorithms
    });
    const lock = config.auth.lockout;
    const lockout = new AuthLockout({
      threshold: lock.threshold === 0 ? Number.MAX_SAFE_INTEGER : lock.threshold,
      windowMs: lock.windowS * 1e3,
      durationMs: lock.durationS * 1e3
    });
    const bindings = await PersistentBindingStore.open(state.registrations, (e) => log.error({ err: e.message }, "registration store write failed"));
    const registrar = new Registrar(
      bindings,
      {
        ha1: (u, r, hash) => directory.getHa1(u, r, hash),
        mayRegister: (username, aorUser) => {
          const device2 = directory.findDeviceBySipUsername(username);
          if (device2 === void 0) return false;
          const aorUserOfDevice = device2.aor === null ? void 0 : /^sips?:([^@]+)@/i.exec(device2.aor)?.[1];
          return aorUserOfDevice === aorUser || username === aorUser;
        }
      },
      digest,
      lockout,
      { ...config.registrar, maxContactsPerAor: 10 },
      {
        onAuthFailure: (ip, user2, reason) => {
          metrics.authFailures.inc({ kind: "register" });
          log.warn({ ip, user: user2, reason }, "REGISTER authentication failed");
        }
      }
    );
    const sweeper = setInterval(() => bindings.sweep(Date.now()), 1e4);
    sweeper.unref();
    cleanups.push(() => clearInterval(sweeper));
    const router = new Router(directory, registrar, {
      domain: config.domain,
      lineRingTimeoutMs: config.mobility.forwardNoAnswerTimerS * 1e3
    });
    const overload = new OverloadControl(config.overload);
    const calls = /* @__PURE__ */ new Map();
    let draining = false;
    const authenticateInvite = (inv) => {
      const req = inv.request;
      const ip = inv.flow.remoteAddress;
      if (lockout.check(ip).locked) {
        inv.reject(403);
        return void 0;
      }
      const creds = req.getAll("proxy-authorization");
      const result = digest.verify({
        method: "INVITE",
        credentialsValue: creds.length > 0 ? creds : void 0,
        lookupHa1: (u, r, hash) => directory.getHa1(u, r, hash)
      });
      if (!result.ok) {
        if (result.reason !== "missing" && !result.stale) {
          lockout.recordFailure(ip, result.username);
          metrics.authFailures.inc({ kind: "invite" });
          log.warn({ ip, user: result.username, reason: result.reason }, "INVITE authentication failed");
        }
        inv.reject(407, { headers: { "proxy-authenticate": [...result.challenge] } });
        return void 0;
      }
      if (lockout.check(ip, result.username).locked) {
        inv.reject(403);
        return void 0;
      }
      lockout.recordSuccess(ip, result.username);
      return result.username;
    };
    const onInvite = (inv) => {
      const req = inv.request;
      metrics.sipMessages.inc({ direction: "in", kind: "INVITE" });
      if (draining) {
        inv.reject(503, { reason: "Service Unavailable - shutting down", headers: { "retry-after": String(config.overload.retryAfterS) } });
        return;
      }
      if (!overload.admit()) {
        metrics.overloadRejected.inc();
        inv.reject(503, { reason: "Service Unavailable - overloaded", headers: { "retry-after": String(overload.retryAfterS) } });
        return;
      }
      const previous = inv.onFinalSent;
      let admitted = true;
      inv.onFinalSent = (status) => {
        previous?.(status);
        if (admitted) overload.setupDone();
        admitted = false;
      };
      const trunk2 = router.trunkFor(inv.flow);
      let caller;
      if (trunk2 !== void 0) caller = router.callerFromTrunk(trunk2, req);
      else {
        const username = authenticateInvite(inv);
        if (username === void 0) return;
        const device2 = directory.findDeviceBySipUsername(username);
        if (device2 === void 0) {
          inv.reject(403, { reason: "Forbidden - no device for these credentials" });
          return;
        }
        caller = router.callerFromDevice(device2, username);
      }
      if (req.body.length > 0 && (req.contentType ?? "application/sdp").startsWith("application/sdp")) {
        const v = validateSdp(req.bodyText);
        if (!v.ok) {
          inv.reject(488, { reason: `Not Acceptable Here - ${v.reason.slice(0, 80)}` });
          return;
        }
      }
      for (const f of features) {
        if (f.onInvite?.(inv, caller, featureCtx) === true) return;
      }
      const decision = router.route(caller, req);
      if (decision.kind === "reject") {
        inv.reject(decision.status, { reason: decision.reason });
        metrics.callsTotal.inc({ result: "rejected" });
        return;
      }
      if (decision.kind === "feature") {
        const f = features.find((x) => x.featureIds?.includes(decision.id) === true && x.onFeature !== void 0);
        if (f === void 0) inv.reject(404, { reason: `Not Found - feature ${decision.id} is not available` });
        else f.onFeature(inv, caller, { id: decision.id, arg: decision.arg, called: decision.called }, featureCtx);
        return;
      }
      let groups = decision.groups;
      if (decision.line !== void 0) {
        for (const f of features) {
          const g = f.lineTargets?.(decision.line, caller, groups[0] ?? [], inv, featureCtx);
          if (g !== void 0) {
            groups = g;
            break;
          }
        }
      }
      if (groups.every((g) => g.length === 0)) {
        inv.reject(480, { reason: "Temporarily Unavailable - not registered" });
        metrics.callsTotal.inc({ result: "rejected" });
        return;
      }
      log.debug({ callId: req.callId, from: req.get("from"), to: req.get("to"), label: decision.label, called: decision.called }, "routing call");
      startCall(inv, groups);
    };
    const startCall = (inv, groups, opts = {}) => {
      const req = inv.request;
      const callLog = log.child({ callId: req.callId });
      const received = Date.now();
      const call = new B2BCall(inv, {
        ua: sip.ua,
        media: callMedia,
        log: callLog,
        ...config.sip.sessionTimer.enabled ? { sessionTimer: { sessionExpires: config.sip.sessionTimer.sessionExpiresS, minSE: config.sip.sessionTimer.minSeS } } : {},
        onConnected: (c) => {
          metrics.callSetupSeconds.observe((Date.now() - received) / 1e3);
          opts.onConnected?.(c);
        },
        onEnd: (c, end) => {
          if (calls.get(c.id) === c) calls.delete(c.id);
          metrics.callsActive.set(calls.size);
          metrics.callsTotal.inc({ result: end.result });
          callLog.info({ result: end.result, status: end.status, by: end.by, durationMs: Date.now() - c.startedAt }, "call ended");
          opts.onEnd?.(c);
        }
      });
      if (calls.has(call.id)) {
        inv.reject(482, { reason: "Loop Detected" });
        return call;
      }
      calls.set(call.id, call);
      metrics.callsActive.set(calls.size);
      void call.start(groups).catch((e) => {
        callLog.error({ err: e.message }, "call setup crashed");
        call.hangup("server", "setup error");
      });
      return call;
    };
    const onRequest = (req, tx, flow) => {
      metrics.sipMessages.inc({ direction: "in", kind: req.method });
      switch (req.method) {
        case "REGISTER":
          registrar.handle(req, tx, flow);
          metrics.registrations.set(bindings.size);
          return;
        case "OPTIONS": {
          const res = createResponse(req, 200);
          res.set("allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, REFER, NOTIFY");
          res.set("accept", "application/sdp");
          res.set("supported", "replaces, timer");
          tx.respond(res);
          return;
        }
        default:
          tx.respond(createResponse(req, 405));
      }
    };
    const features = options.features ?? builtinFeatures();
    const featureCtx = {
      config,
      directory,
      registrar,
      router,
      get ua() {
        return sip.ua;
      },
      anchor,
      callMedia,
      state,
      log,
      metrics: metrics.registry,
      startCall: (inv, groups, opts) => startCall(inv, groups, opts)
    };
    const sip = await createSipStack({
      listen: config.sip.listen.map((l) => ({
        protocol: l.transport,
        host: l.host,
        port: l.port,
        ...l.tls !== void 0 ? { tls: { cert: l.tls.cert, key: l.tls.key } } : {},
        ...l.advertisedHost !== void 0 ? { advertisedHost: l.advertisedHost } : {},
        ...l.advertisedPort !== void 0 ? { advertisedPort: l.advertisedPort } : {}
      })),
      maxMessageSize: config.sip.maxMessageBytes,
      timers: config.sip.timers,
      logger: log.child({ layer: "sip" }),
      handlers: { onInvite, onRequest }
    });
    cleanups.push(() => sip.close());
    for (const f of features) await f.start?.(featureCtx);
    cleanups.push(async () => {
      for (const f of features) await f.close?.();
    });
    const sizes = () => {
      const tx = sip.transactions.sizes();
      const ua = sip.ua.sizes;
      return {
        calls: calls.size,
        clientTransactions: tx.clientTransactions,
        serverTransactions: tx.serverTransactions,
        dialogs: ua.dialogs,
        pendingInvites: ua.pendingInvites,
        awaitingAck: ua.awaitingAck,
        mediaCalls: anchor.activeCalls,
        registrations: bindings.size,
        callsInSetup: overload.inSetup
      };
    };
    const flatStats = () => {
      const out = {};
      for (const [k, v] of Object.entries(sip.transactions.stats)) if (typeof v === "number") out[`tx_${k}`] = v;
      for (const [proto, s] of Object.entries(sip.transport.stats())) {
        for (const [k, v] of Object.entries(s)) if (typeof v === "number") out[`${proto}_${k}`] = v;
      }
      return out;
    };
    const http2 = await startHttp({
      host: config.http.host,
      port: config.http.port,
      metrics,
      health: () => ({ ok: !draining, calls: calls.size, registrations: bindings.size, draining }),
      // Provisioning/self-care API, pages and live calls view (src/api/app.ts).
      directory,
      calls,
      dataDir: config.dataDir,
      sipRealm: realm,
      log: log.child({ layer: "api" })
    });
    cleanups.push(() => http2.app.close());
    const sipPort = (protocol) => {
      const lp = sip.transport.listeningPoint(protocol);
      if (lp === void 0) throw new Error(`no ${protocol} listener`);
      return lp.port;
    };
    log.info(
      { sip: sip.transport.listeningPoints().map((l) => `${l.protocol}:${l.address}:${l.port}`), http: `${config.http.host}:${http2.port}`, rtpengine: instances },
      "mobility anchor ready"
    );
    let closed = false;
    const server = {
      config,
      sip,
      directory,
      registrar,
      metrics,
      media: anchor,
      httpPort: http2.port,
      sipPort,
      calls,
      sizes,
      log,
      async drain(timeoutMs = 3e4) {
        draining = true;
        const until = Date.now() + timeoutMs;
        while (overload.inSetup > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        await server.close();
      },
      async close() {
        if (closed) return;
        closed = true;
        draining = true;
        for (const c of [...calls.values()]) c.hangup("server", "server shutdown");
        if (calls.size > 0 || sip.transactions.sizes().clientTransactions > 0) await new Promise((r) => setTimeout(r, 200));
        await cleanup();
      }
    };
    return server;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

// bench/cps/server-main.ts
var send = (m) => {
  process.send?.(m);
};
function provision(dir, o) {
  dir.transaction(() => {
    dir.partitions.create({ name: "PT-bench", description: "bench/cps: every number" });
    dir.css.create({ name: "CSS-bench", partitions: ["PT-bench"] });
    dir.trunks.create({
      id: "IN",
      name: "bench caller (SIPp UAC)",
      peerHost: "127.0.0.1",
      port: 9,
      transport: "udp",
      trusted: true,
      inboundCss: "CSS-bench",
      alternates: [{ peerHost: "127.0.0.1", port: o.uacPort, transport: "udp" }]
    });
    dir.trunks.create({ id: "OUT", name: "bench far end (SIPp UAS)", peerHost: "127.0.0.1", port: o.uasPort, transport: "udp", trusted: true });
    dir.routePatterns.create({ id: "RP-bench", partition: "PT-bench", pattern: "X!", target: { kind: "trunk", id: "OUT" } });
  });
}
async function main() {
  const o = JSON.parse(process.argv[2] ?? "{}");
  mkdirSync5(o.dataDir, { recursive: true });
  const config = buildConfig({
    sip: { listen: [{ transport: "udp", host: "127.0.0.1", port: o.sipPort ?? 0 }] },
    http: { host: "127.0.0.1", port: 0 },
    media: o.anchor ? { rtpengines: [{ host: "127.0.0.1", port: o.ngPort }], anchor: true } : (
      // Signalling only: no rtpengine command is ever sent (the discard port is never asked).
      { rtpengines: [{ host: "127.0.0.1", port: 9 }], anchor: false }
    ),
    dataDir: o.dataDir,
    log: { level: o.logLevel ?? "warn" },
    overload: { maxCps: 1e5, maxCallsInSetup: 1e5 }
  });
  const server = await startServer(config);
  provision(server.directory, o);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0 };
  new PerformanceObserver((list2) => {
    for (const e of list2.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.majorCount++;
    }
  }).observe({ entryTypes: ["gc"] });
  process.on("message", (raw) => {
    const m = raw;
    switch (m.cmd) {
      case "mem": {
        const gc2 = globalThis.gc;
        if (gc2 !== void 0) {
          gc2();
          gc2();
        }
        send({ type: "mem", usage: process.memoryUsage() });
        return;
      }
      case "sizes":
        send({ type: "sizes", sizes: server.sizes() });
        return;
      case "loop": {
        const ms = (ns) => Math.round(ns / 1e4) / 100;
        send({
          type: "loop",
          delayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), mean: ms(loopDelay.mean) },
          gc: { count: gc.count, totalMs: Math.round(gc.totalMs), maxMs: Math.round(gc.maxMs), majorCount: gc.majorCount }
        });
        loopDelay.reset();
        Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0, majorCount: 0 });
        return;
      }
      case "heap":
        send({ type: "heap", file: writeHeapSnapshot(join5(o.dataDir, `heap-${Date.now()}.heapsnapshot`)) });
        return;
      case "calls": {
        const now = Date.now();
        const sample = [...server.calls.values()].slice(0, 5).map((c) => {
          const x = c;
          const branches = x["branches"] ?? [];
          return {
            id: c.id,
            state: c.state,
            ended: x["ended"],
            ageMs: now - c.startedAt,
            aFinal: x.a.finalStatus,
            aTxState: x.a.tx.state,
            groupsLeft: x["groups"].length,
            statuses: x["statuses"],
            branches: branches.map((b) => ({ status: b.status, inviteFinal: b.invite?.finalStatus, txState: b.invite?.tx?.state }))
          };
        });
        send({ type: "calls", count: server.calls.size, sample });
        return;
      }
      case "stop":
        void server.close().finally(() => process.exit(0));
        return;
      default:
        send({ type: "error", message: `unknown command ${JSON.stringify(raw)}` });
    }
  });
  process.on("disconnect", () => void server.close().finally(() => process.exit(0)));
  send({ type: "ready", sipPort: server.sipPort("udp"), httpPort: server.httpPort, pid: process.pid });
}
main().catch((e) => {
  send({ type: "error", message: e.stack ?? e.message });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
//# sourceMappingURL=server-main.mjs.map
