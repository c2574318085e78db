/** Dialog additions: the peer's Allow/Supported learned from its messages. */
import { describe, expect, it } from 'vitest';
import { Dialog } from '../../../src/sip/dialog/dialog.js';
import { SipRequest } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';

function invite(extra: Record<string, string> = {}): SipRequest {
  const r = new SipRequest('INVITE', 'sip:bob@127.0.0.1');
  r.set('via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKd1');
  r.set('from', '<sip:alice@x>;tag=a');
  r.set('to', '<sip:bob@x>');
  r.set('call-id', 'c1');
  r.set('cseq', '1 INVITE');
  r.set('contact', '<sip:alice@127.0.0.1:5070>');
  for (const [k, v] of Object.entries(extra)) r.set(k, v);
  return r;
}

describe('Dialog capabilities', () => {
  it('UAS dialog learns Allow and Supported from the INVITE; unknown stays undefined', () => {
    const d = Dialog.fromUasRequest(invite({ allow: 'INVITE, ack, Update', supported: 'Timer, 100rel' }), 'b', '<sip:bob@127.0.0.1>', undefined, 'confirmed');
    expect(d.remoteAllow).toEqual(['INVITE', 'ACK', 'UPDATE']);
    expect(d.allows('update')).toBe(true);
    expect(d.allows('REFER')).toBe(false);
    expect(d.remoteSupported).toEqual(['timer', '100rel']);
    const bare = Dialog.fromUasRequest(invite(), 'b', '<sip:bob@127.0.0.1>', undefined, 'confirmed');
    expect(bare.allows('UPDATE')).toBeUndefined();
    expect(bare.sessionTimer).toBeUndefined();
  });

  it('UAC dialog learns from the 1xx/2xx; a target refresh updates it; a message without Allow keeps it', () => {
    const req = invite();
    const res = createResponse(req, 180, undefined, 'b');
    res.set('contact', '<sip:bob@127.0.0.1:5080>');
    res.set('allow', 'INVITE, BYE');
    const d = Dialog.fromUacResponse(req, res, '<sip:alice@127.0.0.1:5070>', 'early');
    expect(d.allows('UPDATE')).toBe(false);
    const ok = createResponse(req, 200, undefined, 'b');
    ok.set('allow', 'INVITE, BYE, UPDATE');
    d.refreshTargetFromResponse(ok);
    expect(d.allows('UPDATE')).toBe(true);
    const re = invite({ cseq: '5 INVITE', supported: 'replaces' });
    re.to.tag = 'b';
    expect(d.receiveRequest(re)).toBeUndefined();
    expect(d.remoteAllow).toEqual(['INVITE', 'BYE', 'UPDATE']);
    expect(d.remoteSupported).toEqual(['replaces']);
  });
});
