/**
 * Stand-in SDP for a side of a call that has no real endpoint (yet, or any more):
 * the anchor still needs an offer or answer for that side. Media sent there goes
 * to the discard port (9) on loopback, so nothing leaves the host and nothing
 * loops back into the anchor.
 */

const DISCARD_HOST = '127.0.0.1';
const DISCARD_PORT = 9;

/** An offer for a side with no endpoint yet: G.711 A-law/µ-law and telephone-event. */
export function placeholderOffer(sessionId = '1'): string {
  return [
    'v=0',
    `o=- ${sessionId} 1 IN IP4 ${DISCARD_HOST}`,
    's=-',
    `c=IN IP4 ${DISCARD_HOST}`,
    't=0 0',
    `m=audio ${DISCARD_PORT} RTP/AVP 8 0 101`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const MIRROR: Record<string, string> = { sendonly: 'recvonly', recvonly: 'sendonly', sendrecv: 'sendrecv', inactive: 'inactive' };

/**
 * An answer to `offer` from a side with no endpoint: same media lines and formats,
 * addresses pointed at the discard port, directions mirrored (sendonly ↔ recvonly),
 * rejected streams (port 0) kept rejected.
 */
export function placeholderAnswer(offer: string): string {
  const out: string[] = [];
  for (const raw of offer.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line === '') continue;
    if (line.startsWith('c=')) out.push(`c=IN IP4 ${DISCARD_HOST}`);
    else if (line.startsWith('o=')) {
      const f = line.slice(2).split(' ');
      out.push(f.length === 6 ? `o=- ${f[1]} ${f[2]} IN IP4 ${DISCARD_HOST}` : line);
    } else if (line.startsWith('m=')) {
      const f = line.slice(2).split(' ');
      if (f[1] !== '0') f[1] = String(DISCARD_PORT);
      out.push(`m=${f.join(' ')}`);
    } else if (/^a=(rtcp|candidate|ice-|fingerprint|setup|crypto)/.test(line)) continue;
    else if (line.startsWith('a=') && MIRROR[line.slice(2)] !== undefined) out.push(`a=${MIRROR[line.slice(2)]}`);
    else out.push(line);
  }
  return out.join('\r\n') + '\r\n';
}
