import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../../../src/sip/message/message.js';
import { REASON_PHRASES, createResponse, reasonPhrase } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { VIA_HEAVY } from '../fixtures.js';
import { INVITE_EXACT as INVITE } from './exact.js';

const request = (text: string): SipRequest => {
  const m = parseMessage(Buffer.from(text), { datagram: true });
  if (!m.isRequest()) throw new Error('not a request');
  return m;
};

describe('createResponse', () => {
  it('copies Via, From, To, Call-ID and CSeq and nothing else', () => {
    const req = request(INVITE);
    const res = createResponse(req, 486);
    expect(res.status).toBe(486);
    expect(res.reason).toBe('Busy Here');
    expect(res.headers.map((h) => h.key)).toEqual(['via', 'from', 'to', 'call-id', 'cseq']);
    expect(res.get('via')).toBe(req.get('via'));
    expect(res.get('from')).toBe(req.get('from'));
    expect(res.callId).toBe(req.callId);
    expect(res.cseq.toString()).toBe('314159 INVITE');
    expect(res.body.length).toBe(0);
    expect(res.toString()).toContain('\r\nContent-Length: 0\r\n\r\n');
  });

  it('keeps every Via in order, one per line', () => {
    const req = request(VIA_HEAVY);
    const res = createResponse(req, 200);
    expect(res.getAll('via')).toEqual(req.getAll('via'));
    expect(res.vias.map((v) => v.branch)).toEqual(req.vias.map((v) => v.branch));
  });

  it('adds the To tag when the request has none, but never to 100 Trying', () => {
    const req = request(INVITE);
    const ringing = createResponse(req, 180, undefined, 'totag1');
    expect(ringing.to.tag).toBe('totag1');
    expect(ringing.toString()).toContain(';tag=totag1\r\n');
    expect(req.to.tag).toBeUndefined();
    const trying = createResponse(req, 100, undefined, 'totag1');
    expect(trying.to.tag).toBeUndefined();
  });

  it('keeps an existing To tag', () => {
    const req = request(INVITE);
    req.to.tag = 'existing';
    const res = createResponse(req, 200, 'OK', 'other');
    expect(res.to.tag).toBe('existing');
  });

  it('reflects live edits of the request (e.g. received/rport on the top Via)', () => {
    const req = request(INVITE);
    req.topVia.params.set('received', '192.0.2.44');
    req.topVia.params.set('rport', '5070');
    const res = createResponse(req, 200);
    expect(res.topVia.received).toBe('192.0.2.44');
    expect(res.topVia.rport).toBe(5070);
  });

  it('the response is independent of the request afterwards', () => {
    const req = request(INVITE);
    const res = createResponse(req, 200, undefined, 'abc');
    req.set('call-id', 'changed');
    req.topVia.params.set('branch', 'z9hG4bKchanged');
    expect(res.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(res.topVia.branch).toBe('z9hG4bK776asdhds');
  });

  it('copies Timestamp into 100 Trying only (RFC 3261 §8.2.6.1)', () => {
    const text = INVITE.replace('User-Agent: bench/1.0', 'Timestamp: 54');
    expect(createResponse(request(text), 100).get('timestamp')).toBe('54');
    expect(createResponse(request(text), 180).has('timestamp')).toBe(false);
  });

  it('uses the given reason phrase', () => {
    expect(createResponse(request(INVITE), 603, 'Decline - busy elsewhere').startLine()).toBe('SIP/2.0 603 Decline - busy elsewhere');
  });
});

describe('reasonPhrase', () => {
  it('knows the RFC 3261 phrases and falls back by class', () => {
    expect(reasonPhrase(200)).toBe('OK');
    expect(reasonPhrase(481)).toBe('Call/Transaction Does Not Exist');
    expect(reasonPhrase(199)).toBe('Early Dialog Terminated');
    expect(reasonPhrase(155)).toBe('Progress');
    expect(reasonPhrase(299)).toBe('OK');
    expect(reasonPhrase(499)).toBe('Error');
    expect(REASON_PHRASES[505]).toBe('Version Not Supported');
  });
});
