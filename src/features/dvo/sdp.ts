/**
 * DVO request detection and the PSTN-bearer SDP of the CTRL dialog (spec DVO-01,
 * DVO-03, DVO-R-02, DVO-F-03, D-41). Line based and pure.
 *
 * Not src/media/sdp.ts's buildPstnSdp: that one insists on +E.164, but the number in
 * the 183 is sent verbatim as configured (local forms such as `1239876`, `*`, `#`,
 * `A-D`), and the 183 carries exactly the lines DVO-R-02 shows (no a=connection).
 */

export type DvoKind = 'dvoR' | 'dvoF';

export interface DvoRequest {
  kind: DvoKind;
  /** The number of `c=PSTN E164 <number>` (media level wins over session level); undefined for `-`. */
  number: string | undefined;
  /** The a=setup value found (session or media level), if any. */
  setup: string | undefined;
}

/** Dialable characters accepted in a request's c=PSTN line (D-41: no stricter RFC 7195 check). */
const DIALABLE = /^\+?[0-9*#A-Da-d]+$/;

/**
 * DVO-01: an SDP with a `c=PSTN E164 <number>` line is a DVO request. `a=setup:active`
 * at session or media level makes it DVO-F; passive, actpass or none makes it DVO-R
 * (D-41: we follow the sources' client, not RFC 4145's "absent means active").
 * Any m= line and unknown attributes are accepted. Returns undefined for IP media.
 */
export function classifyDvo(body: string): DvoRequest | undefined {
  let sawPstn = false;
  let number: string | undefined;
  let fromMedia = false;
  let inMedia = false;
  let setup: string | undefined;
  let active = false;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      inMedia = true;
      continue;
    }
    const c = /^c=PSTN\s+(\S+)\s+(\S+)$/i.exec(line);
    if (c !== null) {
      sawPstn = true;
      const addr = c[2]!;
      if (!fromMedia || inMedia) {
        number = c[1]!.toUpperCase() === 'E164' && addr !== '-' && DIALABLE.test(addr) ? addr : undefined;
        fromMedia = inMedia;
      }
      continue;
    }
    const s = /^a=setup:\s*(\S+)$/i.exec(line);
    if (s !== null) {
      const v = s[1]!.toLowerCase();
      setup ??= v;
      if (v === 'active') {
        active = true;
        setup = v;
      }
    }
  }
  if (!sawPstn) return undefined;
  return { kind: active ? 'dvoF' : 'dvoR', number, setup };
}

export interface DvoSdpParams {
  /** Sent verbatim (already unescaped: `\+` → `+`). */
  number: string;
  /** DVO-R: active (the server places the callback); DVO-F: passive (the phone dials in). */
  setup: 'active' | 'passive';
  sessionId: string;
  /** o= address: the server's address on the CTRL flow. */
  address: string;
}

/**
 * The 183 / 200 body of the CTRL dialog, exactly the lines of DVO-R-02:
 * v=0, o=, s=-, c=PSTN E164 <number>, t=0 0, m=audio 9 PSTN -, a=setup:<x>.
 * The 200 reuses the 183's body unchanged (same o= version, DVO-03).
 */
export function buildDvoSdp(p: DvoSdpParams): string {
  const ipVer = p.address.includes(':') ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=- ${p.sessionId} 1 IN ${ipVer} ${p.address}`,
    's=-',
    `c=PSTN E164 ${p.number}`,
    't=0 0',
    'm=audio 9 PSTN -',
    `a=setup:${p.setup}`,
    '',
  ].join('\r\n');
}
