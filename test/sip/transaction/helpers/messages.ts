/** Request texts for the transaction tests. */
import type { SipRequest, SipResponse } from '../../../../src/sip/message/message.js';
import { createResponse } from '../../../../src/sip/message/response.js';
import { parseMessage } from '../../../../src/sip/parser/index.js';

export interface RequestOptions {
  method?: string;
  branch?: string | null; // null: no branch parameter at all
  sentBy?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  toTag?: string;
  fromTag?: string;
  uri?: string;
  maxForwards?: string | null;
  routes?: string[];
  extra?: string[];
  version?: string;
}

export function requestText(o: RequestOptions = {}): string {
  const method = o.method ?? 'INVITE';
  const branch = o.branch === null ? '' : `;branch=${o.branch ?? 'z9hG4bKpeer1'}`;
  const lines = [
    `${method} ${o.uri ?? 'sip:bob@127.0.0.1:5060'} ${o.version ?? 'SIP/2.0'}`,
    `Via: SIP/2.0/UDP ${o.sentBy ?? '127.0.0.2:5070'}${branch}`,
    ...(o.maxForwards === null ? [] : [`Max-Forwards: ${o.maxForwards ?? '70'}`]),
    `From: <sip:alice@127.0.0.2>;tag=${o.fromTag ?? 'fromtag1'}`,
    `To: <sip:bob@127.0.0.1>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `Call-ID: ${o.callId ?? 'call-1@127.0.0.2'}`,
    `CSeq: ${o.cseq ?? 1} ${o.cseqMethod ?? method}`,
    ...(method === 'INVITE' ? ['Contact: <sip:alice@127.0.0.2:5070>'] : []),
    ...(o.routes ?? []).map((r) => `Route: ${r}`),
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return lines.join('\r\n');
}

export function parseRequest(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text), { datagram: true });
  if (!m.isRequest()) throw new Error('not a request');
  return m;
}

export function parseResponse(text: string): SipResponse {
  const m = parseMessage(Buffer.from(text), { datagram: true });
  if (m.isRequest()) throw new Error('not a response');
  return m;
}

/** A request the TU sends: no Via (the layer adds it). */
export function outgoing(o: RequestOptions = {}): SipRequest {
  const req = parseRequest(requestText(o));
  req.remove('via');
  return req;
}

/** The response a peer would send to a request we sent (re-parsed, as received). */
export function reply(request: SipRequest, status: number, toTag?: string): string {
  return createResponse(request, status, undefined, toTag).toString();
}
