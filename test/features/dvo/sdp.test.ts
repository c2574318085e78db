/** DVO-01 detection and the CTRL PSTN SDP (DVO-R-02, DVO-F-03, D-41). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDvoSdp, classifyDvo } from '../../../src/features/dvo/sdp.js';

const sdp = (...lines: string[]) => ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', ...lines, ''].join('\r\n');

describe('classifyDvo (DVO-01, D-41)', () => {
  it('c=PSTN E164 without a setup attribute is DVO-R (the sources\' client, not RFC 4145\'s default)', () => {
    expect(classifyDvo(sdp('c=PSTN E164 +14085551111', 't=0 0', 'm=audio 9 PSTN -'))).toEqual({ kind: 'dvoR', number: '+14085551111', setup: undefined });
  });

  it('a=setup:active at session or at media level is DVO-F', () => {
    expect(classifyDvo(sdp('c=PSTN E164 +14085551111', 'a=setup:active', 't=0 0', 'm=audio 9 PSTN -'))?.kind).toBe('dvoF');
    expect(classifyDvo(sdp('c=PSTN E164 +14085551111', 't=0 0', 'm=audio 9 PSTN -', 'a=setup:active'))?.kind).toBe('dvoF');
  });

  it('passive and actpass are DVO-R', () => {
    for (const v of ['passive', 'actpass']) expect(classifyDvo(sdp('c=PSTN E164 +14085551111', 't=0 0', 'm=audio 9 PSTN -', `a=setup:${v}`))).toMatchObject({ kind: 'dvoR', setup: v });
  });

  it('accepts local forms and any dialable characters, with or without +, no RFC 7195 syntax check', () => {
    for (const n of ['4085551234', '914085551111', '1239876', '*86#', '+14085551111', 'A1B2']) {
      expect(classifyDvo(sdp(`c=PSTN E164 ${n}`, 't=0 0', 'm=audio 9 PSTN -'))?.number).toBe(n);
    }
  });

  it('ignores unknown attributes (a=connection, a=cs-correlation) and accepts any m= line', () => {
    const body = sdp('c=PSTN E164 +14085551111', 't=0 0', 'm=audio 9 PSTN E164', 'a=connection:new', 'a=cs-correlation:callerid:+14085551111 dtmf', 'a=setup:active');
    expect(classifyDvo(body)).toMatchObject({ kind: 'dvoF', number: '+14085551111' });
  });

  it('media-level c= wins over session level; "-" means no number', () => {
    expect(classifyDvo(sdp('c=PSTN E164 +10000000000', 't=0 0', 'm=audio 9 PSTN -', 'c=PSTN E164 +14085551111'))?.number).toBe('+14085551111');
    expect(classifyDvo(sdp('c=PSTN E164 -', 't=0 0', 'm=audio 9 PSTN -'))).toMatchObject({ kind: 'dvoR', number: undefined });
  });

  it('IP media is not a DVO request', () => {
    expect(classifyDvo(sdp('c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=setup:active'))).toBeUndefined();
    expect(classifyDvo('')).toBeUndefined();
  });
});

describe('buildDvoSdp (DVO-R-02, DVO-F-03)', () => {
  it('renders exactly the lines of DVO-R-02, number verbatim', () => {
    expect(buildDvoSdp({ number: '4085556666', setup: 'active', sessionId: '1', address: '192.0.2.1' })).toBe(
      ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=PSTN E164 4085556666', 't=0 0', 'm=audio 9 PSTN -', 'a=setup:active', ''].join('\r\n'),
    );
  });

  it('DVO-F: a=setup:passive, the service access number as configured', () => {
    const b = buildDvoSdp({ number: '18008889999', setup: 'passive', sessionId: '7', address: '::1' });
    expect(b).toContain('c=PSTN E164 18008889999\r\nt=0 0\r\nm=audio 9 PSTN -\r\na=setup:passive\r\n');
    expect(b).toContain('IN IP6 ::1');
  });

  it('property: what we build is classified back with the same number and role', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?[0-9*#A-D]{1,24}$/), fc.constantFrom('active' as const, 'passive' as const), (number, setup) => {
        const c = classifyDvo(buildDvoSdp({ number, setup, sessionId: '1', address: '127.0.0.1' }));
        expect(c?.number).toBe(number);
        expect(c?.setup).toBe(setup);
      }),
    );
  });
});
