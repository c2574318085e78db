import { describe, expect, it } from 'vitest';
import {
  buildPstnSdp,
  bumpSessionVersion,
  detectPstnBearer,
  getDirection,
  getDirections,
  isHoldSdp,
  isPstnSdp,
  isValidSdp,
  parseSdp,
  setDirection,
  validateSdp,
  writeSdp,
} from '../../src/media/sdp.js';
import { audioSdp } from './helpers.js';

const TWO_MEDIA = [
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 192.0.2.1',
  's=-',
  'c=IN IP4 192.0.2.1',
  't=0 0',
  'a=recvonly',
  'm=audio 49170 RTP/AVP 0',
  'm=video 51372 RTP/AVP 31',
  'a=sendrecv',
  '',
].join('\r\n');

describe('sdp direction', () => {
  it('defaults to sendrecv and reads media-level attributes', () => {
    expect(getDirection(audioSdp(4000))).toBe('sendrecv');
    expect(getDirection(audioSdp(4000, { direction: 'sendonly' }))).toBe('sendonly');
    expect(getDirection(audioSdp(4000, { direction: 'inactive' }))).toBe('inactive');
    expect(getDirection(audioSdp(4000, { direction: 'recvonly' }))).toBe('recvonly');
  });

  it('session-level attribute applies unless a media-level one overrides it', () => {
    expect(getDirections(TWO_MEDIA)).toEqual(['recvonly', 'sendrecv']);
    expect(getDirection(TWO_MEDIA)).toBe('recvonly'); // first audio
    expect(getDirection(TWO_MEDIA, 1)).toBe('sendrecv');
  });

  it('c=0.0.0.0 is hold (RFC 2543 style); port 0 is inactive', () => {
    const hold = audioSdp(4000, { addr: '0.0.0.0' });
    expect(getDirection(hold)).toBe('sendonly');
    expect(isHoldSdp(hold)).toBe(true);
    expect(getDirection(audioSdp(4000, { addr: '0.0.0.0', direction: 'recvonly' }))).toBe('inactive');
    expect(getDirection(audioSdp(0))).toBe('inactive');
    expect(isHoldSdp(audioSdp(4000))).toBe(false);
    expect(isHoldSdp(audioSdp(4000, { direction: 'sendonly' }))).toBe(true);
  });

  it('setDirection rewrites only direction lines and can bump the version', () => {
    const src = audioSdp(4000);
    const held = setDirection(src, 'sendonly', { bumpVersion: true });
    expect(getDirection(held)).toBe('sendonly');
    expect(held.match(/a=(sendrecv|sendonly|recvonly|inactive)/g)).toEqual(['a=sendonly']);
    expect(held).toMatch(/^o=- 1001 2 IN IP4 127\.0\.0\.1\r$/m);
    const strip = (s: string) => s.split('\r\n').filter((l) => !/^a=(sendrecv|sendonly)$/.test(l) && !l.startsWith('o='));
    expect(strip(held)).toEqual(strip(src));
    expect(held.endsWith('\r\n')).toBe(true);
  });

  it('setDirection on one section pushes the session-level attribute down to the others', () => {
    const out = setDirection(TWO_MEDIA, 'inactive', { mediaIndex: 1 });
    expect(getDirections(out)).toEqual(['recvonly', 'inactive']);
    const sessionPart = out.split('m=')[0]!;
    expect(sessionPart).not.toMatch(/a=recvonly/);
  });

  it('bumpSessionVersion handles versions beyond 2^53', () => {
    const big = audioSdp(4000).replace('o=- 1001 1 ', 'o=- 1001 9007199254740993 ');
    expect(bumpSessionVersion(big)).toMatch(/o=- 1001 9007199254740994 IN/);
  });

  it('parse/write round trip through sdp-transform', () => {
    const d = parseSdp(audioSdp(4000));
    expect(d.media[0]!.port).toBe(4000);
    expect(d.media[0]!.direction).toBe('sendrecv');
    expect(writeSdp(d)).toContain('m=audio 4000 RTP/AVP 0 101');
  });
});

describe('PSTN bearer SDP (DVO)', () => {
  const DVO_183 = ['v=0', 'o=- 5 5 IN IP4 10.0.0.1', 's=-', 'c=PSTN E164 +14085551234', 't=0 0', 'm=audio 9 PSTN -', 'a=setup:passive', 'a=connection:new', ''].join('\r\n');
  const RFC7195 = [
    'v=0',
    'o=jdoe 2890844526 2890842807 IN IP4 192.0.2.5',
    's=-',
    't=0 0',
    'm=audio 9 PSTN -',
    'c=PSTN E164 +441134960123',
    'a=setup:actpass',
    'a=connection:new',
    'a=cs-correlation:callerid:+441134960123 dtmf:1234567890 uuie',
    '',
  ].join('\r\n');

  it('builds the 183 body exactly', () => {
    expect(buildPstnSdp({ number: '+14085551234', setup: 'active', sessionVersion: 7, sessionId: 42, originAddress: '192.0.2.9' })).toBe(
      'v=0\r\no=- 42 7 IN IP4 192.0.2.9\r\ns=-\r\nc=PSTN E164 +14085551234\r\nt=0 0\r\nm=audio 9 PSTN -\r\na=setup:active\r\na=connection:new\r\n',
    );
    expect(() => buildPstnSdp({ number: '4085551234', setup: 'active', sessionVersion: 1 })).toThrow(/E\.164/);
    expect(() => buildPstnSdp({ number: '+1408', setup: 'passive', sessionVersion: 'x' })).toThrow();
  });

  it('the built body is valid, detected and read back', () => {
    const body = buildPstnSdp({ number: '+14085551234', setup: 'passive', sessionVersion: 1, correlationCallerId: '+14085551234' });
    expect(isValidSdp(body)).toBe(true);
    expect(isPstnSdp(body)).toBe(true);
    expect(detectPstnBearer(body)).toEqual({
      number: '+14085551234',
      setup: 'passive',
      connection: 'new',
      rfc7195Media: true,
      correlation: { callerid: '+14085551234' },
    });
  });

  it('detects the session-level c=PSTN form', () => {
    expect(detectPstnBearer(DVO_183)).toMatchObject({ number: '+14085551234', setup: 'passive', connection: 'new', rfc7195Media: true });
    expect(isValidSdp(DVO_183)).toBe(true);
  });

  it('detects RFC 7195 with media-level c= and several correlation mechanisms', () => {
    expect(detectPstnBearer(RFC7195)).toEqual({
      number: '+441134960123',
      setup: 'actpass',
      connection: 'new',
      rfc7195Media: true,
      correlation: { callerid: '+441134960123', dtmf: '1234567890', uuie: '' },
    });
    expect(isValidSdp(RFC7195)).toBe(true);
  });

  it('c=PSTN E164 - means number withheld; c=PSTN alone without m=PSTN still counts', () => {
    const withheld = RFC7195.replace('c=PSTN E164 +441134960123', 'c=PSTN E164 -');
    expect(detectPstnBearer(withheld)?.number).toBeUndefined();
    const onlyC = audioSdp(4000).replace('c=IN IP4 127.0.0.1', 'c=PSTN E164 +14085551234');
    expect(detectPstnBearer(onlyC)).toMatchObject({ number: '+14085551234', rfc7195Media: false });
  });

  it('ordinary IP SDP is not PSTN', () => {
    expect(isPstnSdp(audioSdp(4000))).toBe(false);
    expect(detectPstnBearer(audioSdp(4000))).toBeUndefined();
  });

  it('sdp-transform alone loses the c=PSTN line (why sdp.ts parses these by line)', () => {
    expect(parseSdp(DVO_183).connection).toBeUndefined();
    expect(parseSdp(DVO_183).media[0]!.connection).toBeUndefined();
  });
});

describe('isValidSdp / validateSdp', () => {
  const good = audioSdp(4000);
  const bad: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['not sdp', 'hello world', /v=0/],
    ['no v=', good.replace('v=0\r\n', ''), /v=0/],
    ['v=1', good.replace('v=0', 'v=1'), /v=0/],
    ['no o=', good.replace(/o=.*\r\n/, ''), /o=/],
    ['short o=', good.replace(/o=.*\r\n/, 'o=- 1 IN IP4 127.0.0.1\r\n'), /o=/],
    ['o= non-numeric version', good.replace('o=- 1001 1 ', 'o=- 1001 x '), /o=/],
    ['no m=', good.replace(/m=audio[\s\S]*/, ''), /no m=/],
    ['m= port not a number', good.replace('m=audio 4000', 'm=audio abc'), /port/],
    ['m= port too big', good.replace('m=audio 4000', 'm=audio 70000'), /port/],
    ['m= without formats', good.replace('m=audio 4000 RTP/AVP 0 101', 'm=audio 4000 RTP/AVP'), /m= line/],
    ['m= double space', good.replace('m=audio 4000 RTP/AVP', 'm=audio  4000 RTP/AVP'), /m= line|media type|port/],
    ['garbage line', good.replace('s=-', 's=-\r\nthis is garbage'), /not <type>=<value>/],
    ['unknown type', good.replace('s=-', 's=-\r\nq=1'), /unknown line type/],
    ['bad c=', good.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 300.1.1.1'), /IPv4/],
    ['c= wrong field count', good.replace('c=IN IP4 127.0.0.1', 'c=IN IP4'), /c=/],
    ['no connection', good.replace('c=IN IP4 127.0.0.1\r\n', ''), /no c= line/],
    ['bad PSTN number', buildPstnSdp({ number: '+14085551234', setup: 'active', sessionVersion: 1 }).replace('+14085551234', '408-555'), /c=PSTN E164/],
  ];

  it('accepts local and escaped dialable forms in c=PSTN E164 (DVO-01, D-41)', () => {
    for (const n of ['4085551234', '914085551111', '+14085551234', '1239876', '*86#']) {
      const body = buildPstnSdp({ number: '+14085551234', setup: 'active', sessionVersion: 1 }).replace('+14085551234', n);
      expect(validateSdp(body), n).toEqual({ ok: true });
    }
  });

  it.each(bad)('rejects %s', (_name, body, reason) => {
    const v = validateSdp(body);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(reason);
    expect(isValidSdp(body)).toBe(false);
  });

  it('accepts ordinary bodies: LF-only, IPv6, rejected stream without c=, media-level c= only', () => {
    expect(isValidSdp(good)).toBe(true);
    expect(isValidSdp(good.replace(/\r\n/g, '\n'))).toBe(true);
    expect(isValidSdp(good.replace('c=IN IP4 127.0.0.1', 'c=IN IP6 ::1'))).toBe(true);
    expect(isValidSdp(TWO_MEDIA)).toBe(true);
    const rejected = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n';
    expect(isValidSdp(rejected)).toBe(true);
    const mediaLevel = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n';
    expect(isValidSdp(mediaLevel)).toBe(true);
    expect(isValidSdp(mediaLevel.replace(/c=.*\r\n$/, ''))).toBe(false);
  });
});
