/**
 * Real SIP peers built on our own stack for B2BUA e2e tests (re-INVITE glare,
 * PRACK, REFER need precise control that SIPp scenarios make awkward).
 * Each peer records what it received.
 */
import { DigestClient } from '../../src/sip/auth/digest-client.js';
import type { Dialog } from '../../src/sip/dialog/dialog.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/message.js';
import { createResponse } from '../../src/sip/message/response.js';
import { type SipStack, createSipStack } from '../../src/sip/stack.js';
import type { IncomingInvite } from '../../src/sip/ua/incoming-invite.js';

export const sdp = (port: number, version = 1): string =>
  `v=0\r\no=- 1 ${version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;

export interface Peer {
  stack: SipStack;
  port: number;
  /** Every request received (in and out of dialog). */
  received: SipRequest[];
  /** Set per test: how an incoming INVITE is handled (default: 200 with sdp(port+2)). */
  onInvite: (inv: IncomingInvite) => void;
  /** Set per test: in-dialog re-INVITE handling (default: 200 with the same SDP). */
  onReinvite: (inv: NonNullable<Dialog['reinvite']>, dialog: Dialog) => void;
  /** In-dialog non-INVITE requests (default 200). */
  onDialogRequest: (req: SipRequest, dialog: Dialog) => number;
  dialogs: Dialog[];
  close(): Promise<void>;
}

export async function startPeer(port: number, o: { allow?: string[]; supported?: string[] } = {}): Promise<Peer> {
  const peer: Peer = {
    stack: undefined as unknown as SipStack,
    port,
    received: [],
    dialogs: [],
    onInvite: (inv) => bind(peer, inv.accept({ body: sdp(port + 2), contentType: 'application/sdp' })),
    onReinvite: (inv) => inv.accept({ body: sdp(port + 2), contentType: 'application/sdp' }),
    onDialogRequest: () => 200,
    close: () => peer.stack.close(),
  };
  peer.stack = await createSipStack({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port }],
    timers: { t1Ms: 100, t2Ms: 400, t4Ms: 500 },
    ...(o.allow !== undefined ? { allow: o.allow } : {}),
    ...(o.supported !== undefined ? { supported: o.supported } : {}),
    handlers: {
      onInvite: (inv) => {
        peer.received.push(inv.request);
        peer.onInvite(inv);
      },
      onRequest: (req, tx) => {
        peer.received.push(req);
        // NOTIFYs of a subscription the test made with a bare SUBSCRIBE (no dialog kept here).
        if (req.method !== 'NOTIFY') return undefined;
        tx.respond(createResponse(req, 200));
        return true;
      },
    },
  });
  return peer;
}

/** Make `dialog` record and answer its in-dialog requests through the peer's hooks. */
export function bind(peer: Peer, dialog: Dialog): Dialog {
  peer.dialogs.push(dialog);
  dialog.onRequest = (req, tx) => {
    peer.received.push(req);
    if (req.method === 'INVITE') {
      const inv = dialog.reinvite;
      dialog.reinvite = undefined;
      if (inv !== undefined) peer.onReinvite(inv, dialog);
      return;
    }
    tx.respond(createResponse(req, peer.onDialogRequest(req, dialog)));
  };
  return dialog;
}

/** Place an INVITE from `peer`; resolves with the final response (and the dialog on 2xx). */
export function call(
  peer: Peer,
  serverPort: number,
  p: { to: string; from: string; headers?: Record<string, string>; body?: string; onProvisional?: (res: SipResponse, dialog: Dialog | undefined) => void },
): Promise<{ res: SipResponse; dialog: Dialog | undefined; provisionals: SipResponse[] }> {
  const provisionals: SipResponse[] = [];
  const req = peer.stack.ua.createRequest({
    method: 'INVITE',
    uri: `sip:${p.to}@127.0.0.1:${serverPort}`,
    from: `<sip:${p.from}@127.0.0.1>`,
    to: `<sip:${p.to}@127.0.0.1>`,
    options: { headers: p.headers ?? {}, body: p.body ?? sdp(peer.port + 2), contentType: 'application/sdp' },
  });
  return new Promise((resolve) => {
    peer.stack.ua.invite(req, { protocol: 'udp', address: '127.0.0.1', port: serverPort }, {
      onProvisional: (res, d) => {
        provisionals.push(res);
        p.onProvisional?.(res, d);
      },
      onAnswer: (res, dialog) => resolve({ res, dialog: bind(peer, dialog), provisionals }),
      onFailure: (res) => resolve({ res, dialog: undefined, provisionals }),
    });
  });
}

/**
 * A call from a phone that authenticates: the server challenges (407), the phone answers
 * the challenge on a new INVITE (same `headers`, plus Proxy-Authorization).
 */
export async function authenticatedCall(
  peer: Peer,
  serverPort: number,
  cred: { username: string; password: string },
  to: string,
  headers: Record<string, string> = {},
): ReturnType<typeof call> {
  const first = await call(peer, serverPort, { from: cred.username, to, headers });
  if (first.res.status !== 407) return first;
  const auth = new DigestClient().authorize({
    challenge: first.res.getAll('proxy-authenticate'),
    username: cred.username,
    password: cred.password,
    method: 'INVITE',
    uri: `sip:${to}@127.0.0.1:${serverPort}`,
  });
  if (!auth.ok) throw new Error(`digest: ${auth.reason}`);
  return call(peer, serverPort, { from: cred.username, to, headers: { ...headers, 'proxy-authorization': auth.value } });
}

/** re-INVITE on `dialog`; resolves with the final status. */
export function reinvite(peer: Peer, dialog: Dialog, body: string | undefined): Promise<SipResponse> {
  return new Promise((resolve, reject) => {
    const out = peer.stack.ua.reinvite(dialog, body === undefined ? {} : { body, contentType: 'application/sdp' }, {
      onAnswer: (res) => resolve(res),
      onFailure: (res) => resolve(res),
    });
    if (out === undefined) reject(new Error('re-INVITE pending'));
  });
}

export const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
