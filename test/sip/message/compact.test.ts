import { describe, expect, it } from 'vitest';
import { SipRequest } from '../../../src/sip/message/message.js';
import { parseMessage } from '../../../src/sip/parser/index.js';
import { INVITE, OK200 } from '../fixtures.js';

const parse = (text: string) => parseMessage(Buffer.from(text, 'latin1'), { datagram: true });

describe('SipMessage.compact (kept messages shrink to their bytes)', () => {
  it('a parsed INVITE: same bytes, same values after compaction, parsed again on first read', () => {
    const m = parse(INVITE);
    m.topVia.params.set('received', '192.0.2.9'); // a live edit made before compaction must survive it
    const before = m.toBuffer();
    m.compact();
    expect(m.isDormant).toBe(true);
    expect(m.toBuffer().equals(before)).toBe(true);
    expect(m.isDormant).toBe(true); // toBuffer does not parse
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.isDormant).toBe(false);
    expect(m.from.tag).toBe('1928301774');
    expect(m.topVia.received).toBe('192.0.2.9');
    expect(m.bodyText.startsWith('v=0\r\n')).toBe(true);
    expect(m.get('supported')).toBe('replaces');
    expect((m as SipRequest).uri.toString()).toBe('sip:bob@biloxi.example.com');
    expect(m.toBuffer().equals(before)).toBe(true);
  });

  it('edits after compaction apply to the message', () => {
    const m = parse(OK200);
    m.compact();
    m.set('contact', '<sip:carol@192.0.2.5>');
    expect(m.vias).toHaveLength(3);
    expect(m.toString()).toContain('Contact: <sip:carol@192.0.2.5>\r\n');
  });

  it('a message built in code, with a body, compacts and reads back', () => {
    const r = new SipRequest('ACK', 'sip:bob@192.0.2.4');
    r.set('via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx1');
    r.set('from', '<sip:alice@a.example>;tag=1');
    r.set('to', '<sip:bob@b.example>;tag=2');
    r.set('call-id', 'c1@a.example');
    r.set('cseq', '1 ACK');
    r.setBody('v=0\r\n', 'application/sdp');
    const before = r.toString();
    r.compact();
    expect(r.isDormant).toBe(true);
    expect(r.toString()).toBe(before);
    expect(r.cseq.seq).toBe(1);
    expect(r.to.tag).toBe('2');
    expect(r.bodyText).toBe('v=0\r\n');
  });

  it('a message with a parse problem is left as it is', () => {
    const m = parse(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314159 INVITE\r\n bad continuation\r\nNoColonHere'));
    expect(m.parseError).toBeDefined();
    m.compact();
    expect(m.isDormant).toBe(false);
  });
});
