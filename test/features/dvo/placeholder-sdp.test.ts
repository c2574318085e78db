/** Stand-in SDP for a call side without an endpoint (outbound bridge, held call). */
import { describe, expect, it } from 'vitest';
import { placeholderAnswer, placeholderOffer } from '../../../src/b2bua/sdp-placeholder.js';
import { validateSdp } from '../../../src/media/sdp.js';

const offer = [
  'v=0',
  'o=- 42 7 IN IP4 10.1.2.3',
  's=-',
  'c=IN IP4 10.1.2.3',
  't=0 0',
  'm=audio 4000 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=rtcp:4001',
  'a=sendonly',
  'm=video 0 RTP/AVP 96',
  '',
].join('\r\n');

describe('placeholder SDP', () => {
  it('the offer is valid SDP pointing at the discard port on loopback', () => {
    const o = placeholderOffer();
    expect(validateSdp(o)).toEqual({ ok: true });
    expect(o).toMatch(/^c=IN IP4 127\.0\.0\.1$/m);
    expect(o).toMatch(/^m=audio 9 RTP\/AVP 8 0 101$/m);
  });
  it('the answer keeps the formats, mirrors the direction, keeps rejected streams, drops a=rtcp', () => {
    const a = placeholderAnswer(offer);
    expect(validateSdp(a)).toEqual({ ok: true });
    expect(a).toMatch(/^o=- 42 7 IN IP4 127\.0\.0\.1$/m);
    expect(a).toMatch(/^c=IN IP4 127\.0\.0\.1$/m);
    expect(a).toMatch(/^m=audio 9 RTP\/AVP 8 101$/m);
    expect(a).toMatch(/^a=recvonly$/m);
    expect(a).toMatch(/^m=video 0 RTP\/AVP 96$/m);
    expect(a).not.toMatch(/a=rtcp/);
    expect(a).not.toMatch(/10\.1\.2\.3/);
  });
});
