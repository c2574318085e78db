/**
 * The Reason header (RFC 3326): `protocol ;cause=N ;text="…"`, comma-separated values
 * (e.g. one for SIP and one for Q.850).
 */
export interface ReasonValue {
  /** `SIP`, `Q.850`, … as written, upper-cased. */
  protocol: string;
  cause: number | undefined;
  text: string | undefined;
}

/** Every value of a Reason header; values that do not parse are skipped. */
export function parseReason(header: string | undefined): ReasonValue[] {
  if (header === undefined) return [];
  const out: ReasonValue[] = [];
  // Split on commas outside quoted strings.
  for (const part of header.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const [proto, ...params] = part.split(';');
    const protocol = proto?.trim().toUpperCase() ?? '';
    if (!/^[A-Z0-9.\-_]+$/.test(protocol)) continue;
    let cause: number | undefined;
    let text: string | undefined;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim();
      if (k === 'cause' && /^\d{1,5}$/.test(v)) cause = Number(v);
      else if (k === 'text') text = v.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1');
    }
    out.push({ protocol, cause, text });
  }
  return out;
}

/** The Q.850 cause of a Reason header (RFC 3326 §2), if it has one. */
export function q850Cause(header: string | undefined): number | undefined {
  return parseReason(header).find((r) => r.protocol === 'Q.850')?.cause;
}
