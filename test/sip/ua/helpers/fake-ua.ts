/**
 * Two (or more) UA cores on FakeTransports linked by a FakeNetwork: the real
 * transaction layer and UA core, no sockets. Delivery is on microtasks, so the
 * same helpers work with vitest fake timers (advanceTimersByTimeAsync).
 */
import type { Dialog } from '../../../../src/sip/dialog/dialog.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/message.js';
import { TransactionLayer } from '../../../../src/sip/transaction/transaction-layer.js';
import type { ServerTransaction } from '../../../../src/sip/transaction/types.js';
import { FakeNetwork, FakeTransport, type FakeSent } from '../../../../src/sip/transport/fake-transport.js';
import type { Destination, Flow } from '../../../../src/sip/transport/types.js';
import type { IncomingInvite } from '../../../../src/sip/ua/incoming-invite.js';
import type { OutgoingInvite, OutgoingInviteHandlers } from '../../../../src/sip/ua/outgoing-invite.js';
import { UserAgentCore, type UserAgentOptions } from '../../../../src/sip/ua/user-agent-core.js';

export const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
export const SDP_B = 'v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n';
export const TIMERS = { t1Ms: 20, t2Ms: 80, t4Ms: 100 };

export interface FakeUa {
  name: string;
  port: number;
  transport: FakeTransport;
  layer: TransactionLayer;
  ua: UserAgentCore;
  contact: string;
  destination: Destination;
  /** Set per test; default: reject 486. */
  onInvite: (inv: IncomingInvite) => void;
  /** Set per test; return false for "not handled". Undefined: no handler at all. */
  onRequest: ((req: SipRequest, tx: ServerTransaction, flow: Flow) => boolean | void) | undefined;
  invites: IncomingInvite[];
  close(): Promise<void>;
}

export function fakeUa(network: FakeNetwork, name: string, port: number, options: Partial<UserAgentOptions> = {}): FakeUa {
  const transport = new FakeTransport({ listeningPoints: [{ protocol: 'udp', address: '127.0.0.1', port }] });
  network.attach(transport);
  const contact = `<sip:${name}@127.0.0.1:${port}>`;
  const self: FakeUa = {
    name,
    port,
    transport,
    layer: undefined as unknown as TransactionLayer,
    ua: undefined as unknown as UserAgentCore,
    contact,
    destination: { protocol: 'udp', address: '127.0.0.1', port },
    onInvite: (inv) => inv.reject(486),
    onRequest: undefined,
    invites: [],
    async close() {
      self.layer.close();
      await transport.close();
    },
  };
  const ua = new UserAgentCore(
    {
      onInvite: (inv) => {
        self.invites.push(inv);
        self.onInvite(inv);
      },
      onRequest: (req, tx, flow) => (self.onRequest === undefined ? false : self.onRequest(req, tx, flow)),
    },
    { timers: TIMERS, contact: () => contact, allow: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY'], ...options },
  );
  const layer = new TransactionLayer(transport, ua, { timers: TIMERS });
  ua.attach(layer);
  self.ua = ua;
  self.layer = layer;
  return self;
}

export function pair(options: { a?: Partial<UserAgentOptions>; b?: Partial<UserAgentOptions> } = {}): { network: FakeNetwork; a: FakeUa; b: FakeUa } {
  const network = new FakeNetwork();
  return { network, a: fakeUa(network, 'alice', 5070, options.a), b: fakeUa(network, 'bob', 5080, options.b) };
}

export function inviteRequest(from: FakeUa, to: FakeUa, headers: Record<string, string> = {}, body: string | undefined = SDP): SipRequest {
  return from.ua.createRequest({
    method: 'INVITE',
    uri: `sip:${to.name}@127.0.0.1:${to.port}`,
    from: `<sip:${from.name}@example.com>`,
    to: `<sip:${to.name}@example.com>`,
    options: body === undefined ? { headers } : { headers, body },
  });
}

export interface CallResult {
  out: OutgoingInvite;
  answer: Promise<{ response: SipResponse; dialog: Dialog }>;
  failure: Promise<SipResponse>;
  provisionals: SipResponse[];
}

/** a INVITEs b; b's onInvite decides. */
export function call(a: FakeUa, b: FakeUa, headers: Record<string, string> = {}, extra: Partial<OutgoingInviteHandlers> = {}, body?: string): CallResult {
  const provisionals: SipResponse[] = [];
  let resolveAnswer!: (v: { response: SipResponse; dialog: Dialog }) => void;
  let resolveFailure!: (r: SipResponse) => void;
  const answer = new Promise<{ response: SipResponse; dialog: Dialog }>((r) => (resolveAnswer = r));
  const failure = new Promise<SipResponse>((r) => (resolveFailure = r));
  const out = a.ua.invite(inviteRequest(a, b, headers, body === undefined ? SDP : body), b.destination, {
    ...extra,
    onProvisional: (res, d) => {
      provisionals.push(res);
      extra.onProvisional?.(res, d);
    },
    onAnswer: (response, dialog) => {
      extra.onAnswer?.(response, dialog);
      resolveAnswer({ response, dialog });
    },
    onFailure: (res) => {
      extra.onFailure?.(res);
      resolveFailure(res);
    },
  });
  return { out, answer, failure, provisionals };
}

/** Everything `ua` sent, as "REQ METHOD" / "RES status METHOD" lines, in order (dropped ones marked). */
export function trace(ua: FakeUa): string[] {
  return ua.transport.sent.map((s: FakeSent) => {
    const m = s.message;
    const line = m.isRequest() ? `${m.method}` : `${(m as SipResponse).status} ${m.cseq.method}`;
    return s.dropped ? `${line} (dropped)` : line;
  });
}

export function sentRequests(ua: FakeUa, method: string): SipRequest[] {
  return ua.transport.sentRequests(method).map((s) => s.message as SipRequest);
}

export function sentResponses(ua: FakeUa, status?: number): SipResponse[] {
  return ua.transport.sentResponses(status).map((s) => s.message as SipResponse);
}

export function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error('condition not met in time'));
      else setTimeout(tick, 2);
    };
    tick();
  });
}
