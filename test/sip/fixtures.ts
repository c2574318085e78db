/** Typical messages shared by SIP unit tests and the parse benchmark. */
export const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE, PRACK',
  'Supported: replaces, timer, 100rel',
  'User-Agent: bench/1.0',
  'Content-Type: application/sdp',
  'Content-Length: 142',
  '',
  'v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
].join('\r\n');

export const OK200 = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3',
  'Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
  'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:bob@192.0.2.4>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

export const VIA_HEAVY = [
  'BYE sip:alice@pc33.atlanta.example.com SIP/2.0',
  ...Array.from({ length: 12 }, (_, i) => `Via: SIP/2.0/UDP proxy${i}.example.com:5060;branch=z9hG4bK${i}abcdef${i};received=10.0.0.${i};rport=5060`),
  'v: SIP/2.0/TCP a.example.com;branch=z9hG4bKx1, SIP/2.0/TCP b.example.com;branch=z9hG4bKx2',
  'Max-Forwards: 70',
  't: <sip:alice@atlanta.example.com>;tag=1928301774',
  'f: <sip:bob@biloxi.example.com>;tag=a6c85cf',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 231 BYE',
  'l: 0',
  '',
  '',
].join('\r\n');
