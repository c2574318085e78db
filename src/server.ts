/**
 * Wiring: config → directory, state, rtpengine, SIP stack, registrar, router,
 * B2BUA calls, HTTP. `startServer(config)` is what `npm start` and the
 * end-to-end tests run.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { startHttp } from './api/http.js';
import { Metrics } from './api/metrics.js';
import { B2BCall } from './b2bua/call.js';
import { CallLog } from './b2bua/call-logger.js';
import { CallMedia } from './b2bua/call-media.js';
import { OverloadControl } from './b2bua/overload.js';
import type { Config } from './config/index.js';
import { Directory } from './directory/directory.js';
import { applyProvisioningFile } from './directory/provision.js';
import { MediaAnchor } from './media/media-anchor.js';
import { RtpengineDtmfEvents, dtmfLogDestArg, resolveDtmfEventsSettings } from './media/dtmf-events.js';
import { MediaServices } from './media/media-services.js';
import { DtmfLegs } from './media/dtmf-leg.js';
import { type RtpengineHandle, startRtpengine } from './media/rtpengine-process.js';
import { validateSdp } from './media/sdp.js';
import { PersistentBindingStore } from './registrar/persistent-binding-store.js';
import { Registrar } from './registrar/registrar.js';
import { createReferPolicy, legIdentity } from './routing/refer-policy.js';
import type { ReferPolicy } from './b2bua/transfer.js';
import { type Caller, Router } from './routing/router.js';
import { DigestServer } from './sip/auth/digest-server.js';
import { AuthLockout } from './sip/auth/lockout.js';
import type { SipRequest } from './sip/message/message.js';
import { createResponse } from './sip/message/response.js';
import { type SipStack, createSipStack } from './sip/stack.js';
import type { ServerTransaction } from './sip/transaction/types.js';
import type { Flow, TransportProtocol } from './sip/transport/types.js';
import type { IncomingInvite } from './sip/ua/incoming-invite.js';
import { openLocalStateStores } from './state/index.js';
import type { Feature, FeatureContext, StartCallOptions } from './features/feature.js';
import { builtinFeatures } from './features/index.js';
import { AnchoredCallRegistry } from './features/anchored/registry.js';
import { DialogEventFeature } from './features/dialog-event/dialog-event-feature.js';
import { MidCallFeature } from './features/mid-call/mid-call-feature.js';
import type { AdoptedLegs, CallEnd, CallTarget } from './b2bua/call.js';

export interface RunningServer {
  config: Config;
  sip: SipStack;
  directory: Directory;
  registrar: Registrar;
  metrics: Metrics;
  /** The rtpengine control (query stats of a call by its A-leg Call-ID). */
  media: MediaAnchor;
  httpPort: number;
  /** Bound SIP port per protocol (useful with port 0 in tests). */
  sipPort(protocol: TransportProtocol): number;
  /** Live calls by A-leg Call-ID. */
  calls: Map<string, B2BCall>;
  /** The mobility features running (e.g. find the dialog-event feature to publish line state). */
  features: readonly Feature[];
  /** GEN-07 / §17.2: anchored calls and recent call records. */
  anchored: AnchoredCallRegistry;
  sizes(): Record<string, number>;
  /** Stop taking new calls (503), wait for calls in setup, then close everything. */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  log: Logger;
}

export interface ServerOptions {
  logger?: Logger;
  /** Mobility features; default: every built-in feature (src/features/index.ts). */
  features?: Feature[];
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.logger ?? pino({ level: config.log.level, base: { svc: 'mobility-anchor' } });
  mkdirSync(config.dataDir, { recursive: true });
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'cleanup step failed');
      }
    }
  };

  try {
    // ---------------------------------------------------------- directory, state
    const directory = new Directory({ path: join(config.dataDir, 'directory.sqlite'), mobility: config.mobility, domain: config.domain });
    cleanups.push(() => directory.close());
    for (const file of config.provisionFiles) {
      const r = applyProvisioningFile(directory, file);
      log.info({ file, created: r.created, updated: r.updated, warnings: r.warnings }, 'provisioning applied');
    }
    const state = openLocalStateStores(join(config.dataDir, 'state.sqlite'));
    cleanups.push(() => state.close());

    // ------------------------------------------------------------------ media
    let rtpengine: RtpengineHandle | undefined;
    const instances: { host: string; port: number }[] = [];
    // RFC 4733 digits from rtpengine (DTMF-01): listen before the launch, which names our port.
    // Port 0 only makes sense for the rtpengine launched here (an external one needs a fixed port).
    const dtmfSettings = resolveDtmfEventsSettings(config.media.dtmfEvents);
    const launching = config.media.rtpengines === undefined && config.media.rtpengine?.launch === true;
    let dtmf: RtpengineDtmfEvents | undefined;
    if (dtmfSettings.enabled && (launching || dtmfSettings.port !== 0)) {
      try {
        dtmf = await RtpengineDtmfEvents.open(dtmfSettings.host, dtmfSettings.port);
        cleanups.push(() => dtmf?.close());
        log.info({ dtmfEvents: `${dtmfSettings.host}:${dtmf.port}` }, 'listening for rtpengine DTMF events');
      } catch (e) {
        log.error({ err: (e as Error).message, dtmfEvents: `${dtmfSettings.host}:${dtmfSettings.port}` }, 'cannot listen for rtpengine DTMF events; only SIP INFO digits will be seen');
      }
    }
    if (config.media.rtpengines !== undefined) instances.push(...config.media.rtpengines);
    else if (config.media.rtpengine !== undefined) {
      const r = config.media.rtpengine;
      if (r.launch) {
        rtpengine = await startRtpengine({
          ngPort: r.ngPort,
          portMin: r.portMin,
          portMax: r.portMax,
          binary: r.binary,
          interface: r.host,
          ...(dtmf !== undefined ? { extraArgs: [dtmfLogDestArg(dtmfSettings.host, dtmf.port)] } : {}),
        });
        cleanups.push(() => rtpengine?.stop());
        log.info({ ngPort: r.ngPort, pid: rtpengine.pid }, 'rtpengine started');
      }
      instances.push({ host: r.host, port: r.ngPort });
    }
    const metrics: Metrics = new Metrics(
      () => sizes(),
      () => flatStats(),
    );
    const anchor = await MediaAnchor.create({
      instances,
      timeoutMs: config.media.ngTimeoutMs,
      observer: {
        onCommand: (e) => {
          metrics.mediaCommands.inc({ command: e.command, outcome: e.outcome });
          metrics.mediaLatency.observe({ command: e.command }, e.latencyMs / 1000);
          if (e.outcome !== 'ok') log.warn({ instance: e.instance, command: e.command, outcome: e.outcome, reason: e.reason }, 'rtpengine command failed');
        },
        onFailover: (e) => log.warn({ callId: e.callId, from: e.from, reason: e.reason }, 'rtpengine failover'),
      },
    });
    cleanups.push(() => anchor.close());
    const callMedia = config.media.anchor ? new CallMedia(anchor) : undefined;
    // MoH, tones and prompts through rtpengine play media (generated files in <dataDir>/media).
    const mediaServices = config.media.anchor ? new MediaServices({ anchor, dataDir: config.dataDir }) : undefined;
    if (mediaServices !== undefined) cleanups.push(() => mediaServices.close());
    // One per server, so every feature sees the same per-leg method lock (DTMF-05).
    const dtmfLegs = new DtmfLegs(dtmf);

    // --------------------------------------------------------- auth, registrar
    const realm = config.auth.realm ?? config.domain;
    const digest = new DigestServer({
      realm,
      secret: randomBytes(32),
      nonceTtlMs: config.auth.nonceTtlS * 1000,
      algorithms: config.auth.algorithms,
    });
    const lock = config.auth.lockout;
    const lockout = new AuthLockout({
      threshold: lock.threshold === 0 ? Number.MAX_SAFE_INTEGER : lock.threshold,
      windowMs: lock.windowS * 1000,
      durationMs: lock.durationS * 1000,
    });
    const bindings = await PersistentBindingStore.open(state.registrations, (e) => log.error({ err: e.message }, 'registration store write failed'));
    const registrar = new Registrar(
      bindings,
      {
        ha1: (u, r, hash) => directory.getHa1(u, r, hash),
        mayRegister: (username, aorUser) => {
          const device = directory.findDeviceBySipUsername(username);
          if (device === undefined) return false;
          const aorUserOfDevice = device.aor === null ? undefined : /^sips?:([^@]+)@/i.exec(device.aor)?.[1];
          return aorUserOfDevice === aorUser || username === aorUser;
        },
      },
      digest,
      lockout,
      { ...config.registrar, maxContactsPerAor: 10 },
      {
        onAuthFailure: (ip, user, reason) => {
          metrics.authFailures.inc({ kind: 'register' });
          log.warn({ ip, user, reason }, 'REGISTER authentication failed');
        },
      },
    );
    const sweeper = setInterval(() => bindings.sweep(Date.now()), 10_000);
    sweeper.unref();
    cleanups.push(() => clearInterval(sweeper));

    const router = new Router(directory, registrar, {
      domain: config.domain,
      lineRingTimeoutMs: config.mobility.forwardNoAnswerTimerS * 1000,
    });
    const overload = new OverloadControl(config.overload);
    const calls = new Map<string, B2BCall>();
    let draining = false;

    // ------------------------------------------------------------ call setup
    const authenticateInvite = (inv: IncomingInvite): string | undefined => {
      const req = inv.request;
      const ip = inv.flow.remoteAddress;
      if (lockout.check(ip).locked) {
        inv.reject(403);
        return undefined;
      }
      const creds = req.getAll('proxy-authorization');
      const result = digest.verify({
        method: 'INVITE',
        credentialsValue: creds.length > 0 ? creds : undefined,
        lookupHa1: (u, r, hash) => directory.getHa1(u, r, hash),
      });
      if (!result.ok) {
        if (result.reason !== 'missing' && !result.stale) {
          lockout.recordFailure(ip, result.username);
          metrics.authFailures.inc({ kind: 'invite' });
          log.warn({ ip, user: result.username, reason: result.reason }, 'INVITE authentication failed');
        }
        inv.reject(407, { headers: { 'proxy-authenticate': [...result.challenge] } });
        return undefined;
      }
      if (lockout.check(ip, result.username).locked) {
        inv.reject(403);
        return undefined;
      }
      lockout.recordSuccess(ip, result.username);
      return result.username;
    };

    const onInvite = (inv: IncomingInvite): void => {
      const req = inv.request;
      metrics.sipMessages.inc({ direction: 'in', kind: 'INVITE' });
      if (draining) {
        inv.reject(503, { reason: 'Service Unavailable - shutting down', headers: { 'retry-after': String(config.overload.retryAfterS) } });
        return;
      }
      if (!overload.admit()) {
        metrics.overloadRejected.inc();
        inv.reject(503, { reason: 'Service Unavailable - overloaded', headers: { 'retry-after': String(overload.retryAfterS) } });
        return;
      }
      // Admission is counted until the INVITE gets its final response, whoever handles it.
      const previous = inv.onFinalSent;
      let admitted = true;
      inv.onFinalSent = (status) => {
        previous?.(status);
        if (admitted) overload.setupDone();
        admitted = false;
      };
      const trunk = router.trunkFor(inv.flow);
      let caller: Caller;
      if (trunk !== undefined) caller = router.callerFromTrunk(trunk, req);
      else {
        const username = authenticateInvite(inv);
        if (username === undefined) return;
        const device = directory.findDeviceBySipUsername(username);
        if (device === undefined) {
          inv.reject(403, { reason: 'Forbidden - no device for these credentials' });
          return;
        }
        caller = router.callerFromDevice(device, username);
      }
      callers.set(inv, caller);
      if (req.body.length > 0 && (req.contentType ?? 'application/sdp').startsWith('application/sdp')) {
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
      if (decision.kind === 'reject') {
        inv.reject(decision.status, { reason: decision.reason });
        metrics.callsTotal.inc({ result: 'rejected' });
        return;
      }
      if (decision.kind === 'feature') {
        const f = features.find((x) => x.featureIds?.includes(decision.id) === true && x.onFeature !== undefined);
        if (f === undefined) inv.reject(404, { reason: `Not Found - feature ${decision.id} is not available` });
        else f.onFeature!(inv, caller, { id: decision.id, arg: decision.arg, called: decision.called }, featureCtx);
        return;
      }
      let groups = decision.groups;
      if (decision.line !== undefined) {
        for (const f of features) {
          const g = f.lineTargets?.(decision.line, caller, groups[0] ?? [], inv, featureCtx);
          if (g !== undefined) {
            groups = g;
            break;
          }
        }
      }
      if (groups.every((g) => g.length === 0)) {
        inv.reject(480, { reason: 'Temporarily Unavailable - not registered' });
        metrics.callsTotal.inc({ result: 'rejected' });
        return;
      }
      log.debug({ callId: req.callId, from: req.get('from'), to: req.get('to'), label: decision.label, called: decision.called }, 'routing call');
      startCall(inv, groups);
    };

    /** Who placed each call (the A-leg's identity): a transfer it asks for is routed with it. */
    const callers = new WeakMap<IncomingInvite, Caller>();
    const callerOf = (c: B2BCall): Caller | undefined => callers.get(c.a);
    const routeRefer = createReferPolicy(router, callerOf);
    // Features first (send-to-mobile...), then the transfer routed with the leg's identity.
    const referPolicy: ReferPolicy = (call, side, refer, req) => {
      const who = legIdentity(call, side, callerOf);
      for (const f of features) {
        const d = f.onRefer?.(call, side, refer, who, featureCtx);
        if (d !== undefined) return d;
      }
      return routeRefer(call, side, refer, req);
    };

    /** A B2B call with the server's bookkeeping (metrics, logs; the call map is the caller's job). */
    const sessionTimer = config.sip.sessionTimer.enabled
      ? { sessionExpires: config.sip.sessionTimer.sessionExpiresS, minSE: config.sip.sessionTimer.minSeS }
      : undefined;
    /** The hooks a feature gave for its call (most calls have none), and calls adopted from an IVR. */
    const callHooks = new WeakMap<B2BCall, StartCallOptions>();
    const adoptedCalls = new WeakSet<B2BCall>();
    // One pair of callbacks for every call (per-call closures would stay on the heap for the call's life).
    const onCallConnected = (c: B2BCall): void => {
      // An adopted call was set up by the feature that hands it over: no setup time here.
      if (!adoptedCalls.has(c)) metrics.callSetupSeconds.observe((Date.now() - c.startedAt) / 1000);
      callHooks.get(c)?.onConnected?.(c);
    };
    const onCallEnd = (c: B2BCall, end: CallEnd): void => {
      if (calls.get(c.id) === c) calls.delete(c.id);
      metrics.callsActive.set(calls.size);
      metrics.callsTotal.inc({ result: end.result });
      c.log.info({ result: end.result, status: end.status, by: end.by, durationMs: Date.now() - c.startedAt }, 'call ended');
      callHooks.get(c)?.onEnd?.(c);
    };

    const newCall = (inv: IncomingInvite, opts: StartCallOptions, routed = true): { call: B2BCall; callLog: CallLog } => {
      const callLog = new CallLog(log, inv.request.callId);
      const call = new B2BCall(inv, {
        ua: sip.ua,
        media: callMedia,
        log: callLog,
        referPolicy,
        ...(sessionTimer !== undefined ? { sessionTimer } : {}),
        onConnected: onCallConnected,
        onEnd: onCallEnd,
      });
      if (opts.onConnected !== undefined || opts.onEnd !== undefined) callHooks.set(call, opts);
      if (!routed) adoptedCalls.add(call);
      return { call, callLog };
    };

    /** An ordinary B2B call with the server's bookkeeping (metrics, call map, logs). */
    const startCall = (inv: IncomingInvite, groups: CallTarget[][], opts: StartCallOptions = {}): B2BCall => {
      const { call, callLog } = newCall(inv, opts);
      if (calls.has(call.id)) {
        // A Call-ID we already anchor (a loop or a peer bug): refuse rather than mix media.
        inv.reject(482, { reason: 'Loop Detected' });
        return call;
      }
      calls.set(call.id, call);
      metrics.callsActive.set(calls.size);
      void call.start(groups).catch((e: Error) => {
        callLog.error({ err: e.message }, 'call setup crashed');
        call.hangup('server', 'setup error');
      });
      return call;
    };

    /** Legs connected elsewhere (an IVR's two-stage call) taken over as a B2B call with the same bookkeeping. */
    const adoptCall = (inv: IncomingInvite, legs: AdoptedLegs, opts: StartCallOptions = {}): B2BCall | undefined => {
      if (calls.has(inv.request.callId)) return undefined;
      const { call } = newCall(inv, opts, false);
      calls.set(call.id, call);
      metrics.callsActive.set(calls.size);
      call.adopt(legs);
      return call;
    };

    const onRequest = (req: SipRequest, tx: ServerTransaction, flow: Flow): void => {
      metrics.sipMessages.inc({ direction: 'in', kind: req.method });
      switch (req.method) {
        case 'REGISTER':
          registrar.handle(req, tx, flow);
          metrics.registrations.set(bindings.size);
          return;
        case 'OPTIONS': {
          const res = createResponse(req, 200);
          res.set('allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, REFER, NOTIFY, SUBSCRIBE');
          res.set('allow-events', 'dialog');
          res.set('accept', 'application/sdp');
          res.set('supported', 'replaces, timer');
          tx.respond(res);
          return;
        }
        default:
          // Feature requests outside dialogs (SUBSCRIBE Event: dialog, src/features/dialog-event).
          for (const f of features) if (f.onRequest?.(req, tx, flow, featureCtx) === true) return;
          if (req.method === 'SUBSCRIBE') {
            // RFC 6665 §8.2.2: an event package we do not serve.
            const res = createResponse(req, 489);
            res.set('allow-events', 'dialog');
            tx.respond(res);
            return;
          }
          tx.respond(createResponse(req, 405));
      }
    };

    /**
     * Digest authentication of a device's non-INVITE request outside a dialog (SUBSCRIBE),
     * like REGISTER: 401 challenge, lockout of sources and users. Returns the SIP username.
     */
    const authenticateRequest = (req: SipRequest, tx: ServerTransaction, flow: Flow): string | undefined => {
      const ip = flow.remoteAddress;
      if (lockout.check(ip).locked) {
        tx.respond(createResponse(req, 403));
        return undefined;
      }
      const creds = [...req.getAll('authorization'), ...req.getAll('proxy-authorization')];
      const result = digest.verify({
        method: req.method,
        credentialsValue: creds.length > 0 ? creds : undefined,
        lookupHa1: (u, r, hash) => directory.getHa1(u, r, hash),
      });
      if (!result.ok) {
        if (result.reason !== 'missing' && !result.stale) {
          lockout.recordFailure(ip, result.username);
          metrics.authFailures.inc({ kind: req.method.toLowerCase() });
          log.warn({ ip, user: result.username, reason: result.reason, method: req.method }, 'request authentication failed');
        }
        const res = createResponse(req, 401);
        res.set('www-authenticate', [...result.challenge]);
        tx.respond(res);
        return undefined;
      }
      if (lockout.check(ip, result.username).locked) {
        tx.respond(createResponse(req, 403));
        return undefined;
      }
      lockout.recordSuccess(ip, result.username);
      return result.username;
    };

    // --------------------------------------------------------------- features
    const features = options.features ?? builtinFeatures();
    // GEN-07 / §17.2: anchored calls and their call records (in memory; a shared store may replace it).
    const anchored = new AnchoredCallRegistry({ log: log.child({ layer: 'call-records' }), metrics: metrics.registry });
    const featureCtx: FeatureContext = {
      config,
      directory,
      registrar,
      router,
      get ua() {
        return sip.ua;
      },
      anchor,
      callMedia,
      ...(dtmf !== undefined ? { dtmf } : {}),
      dtmfLegs,
      ...(mediaServices !== undefined ? { mediaServices } : {}),
      state,
      log,
      metrics: metrics.registry,
      startCall: (inv, groups, opts) => startCall(inv, groups, opts),
      adoptCall: (inv, legs, opts) => adoptCall(inv, legs, opts),
      anchored,
      authenticate: (req, tx, flow) => authenticateRequest(req, tx, flow),
      contact: (protocol) => sip.contact(protocol),
    };
    const dialogEvents = features.find((f): f is DialogEventFeature => f instanceof DialogEventFeature);
    if (dialogEvents !== undefined) featureCtx.dialogEvents = dialogEvents;
    const midCall = features.find((f): f is MidCallFeature => f instanceof MidCallFeature);
    if (midCall !== undefined) featureCtx.midCall = midCall;
    featureCtx.callerOf = callerOf;
    featureCtx.liveCalls = () => calls.values();

    // -------------------------------------------------------------- SIP stack
    const sip: SipStack = await createSipStack({
      listen: config.sip.listen.map((l) => ({
        protocol: l.transport,
        host: l.host,
        port: l.port,
        ...(l.tls !== undefined ? { tls: { cert: l.tls.cert, key: l.tls.key } } : {}),
        ...(l.advertisedHost !== undefined ? { advertisedHost: l.advertisedHost } : {}),
        ...(l.advertisedPort !== undefined ? { advertisedPort: l.advertisedPort } : {}),
      })),
      maxMessageSize: config.sip.maxMessageBytes,
      timers: config.sip.timers,
      logger: log.child({ layer: 'sip' }),
      handlers: { onInvite, onRequest },
    });
    cleanups.push(() => sip.close());

    for (const f of features) await f.start?.(featureCtx);
    cleanups.push(async () => {
      for (const f of features) await f.close?.();
    });

    const sizes = (): Record<string, number> => {
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
        callsInSetup: overload.inSetup,
      };
    };
    const flatStats = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(sip.transactions.stats)) if (typeof v === 'number') out[`tx_${k}`] = v;
      for (const [proto, s] of Object.entries(sip.transport.stats())) {
        for (const [k, v] of Object.entries(s as unknown as Record<string, unknown>)) if (typeof v === 'number') out[`${proto}_${k}`] = v;
      }
      return out;
    };

    // ------------------------------------------------------------------- HTTP
    const http = await startHttp({
      host: config.http.host,
      port: config.http.port,
      metrics,
      health: () => ({ ok: !draining, calls: calls.size, registrations: bindings.size, draining }),
      // Provisioning/self-care API, pages and live calls view (src/api/app.ts).
      directory,
      calls,
      callFeature: (id) => anchored.byCallRef(id)?.origin,
      // Calls features run outside `calls` (a three-party conference, MID-08).
      otherCalls: () => anchored.liveCalls(),
      callRecords: (limit) => anchored.records(limit),
      dataDir: config.dataDir,
      sipRealm: realm,
      log: log.child({ layer: 'api' }),
    });
    cleanups.push(() => http.app.close());

    const sipPort = (protocol: TransportProtocol): number => {
      const lp = sip.transport.listeningPoint(protocol);
      if (lp === undefined) throw new Error(`no ${protocol} listener`);
      return lp.port;
    };
    log.info(
      { sip: sip.transport.listeningPoints().map((l) => `${l.protocol}:${l.address}:${l.port}`), http: `${config.http.host}:${http.port}`, rtpengine: instances },
      'mobility anchor ready',
    );

    let closed = false;
    const server: RunningServer = {
      config,
      sip,
      directory,
      registrar,
      metrics,
      media: anchor,
      httpPort: http.port,
      sipPort,
      calls,
      features,
      anchored,
      sizes,
      log,
      async drain(timeoutMs = 30_000) {
        draining = true;
        const until = Date.now() + timeoutMs;
        while (overload.inSetup > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        await server.close();
      },
      async close() {
        if (closed) return;
        closed = true;
        draining = true;
        for (const c of [...calls.values()]) c.hangup('server', 'server shutdown');
        // Give the BYEs a moment to leave before sockets close.
        if (calls.size > 0 || sip.transactions.sizes().clientTransactions > 0) await new Promise((r) => setTimeout(r, 200));
        await cleanup();
      },
    };
    return server;
  } catch (e) {
    await cleanup();
    throw e;
  }
}
