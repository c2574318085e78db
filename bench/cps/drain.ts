// After a step that was not clean, the system under test keeps sending for a while: INVITE
// retransmissions of calls the SIPp far end gave up on (Timer A doubles up to 16 s, for 64·T1),
// 2xx retransmissions towards a caller that gave up, late responses. A fresh SIPp far end would
// take an old INVITE for a new call and count it against the next step (and answer it, so the
// caller gets answers it cannot place). So before the next step the caller's and far end's
// ports are held by a small responder that ends whatever still arrives:
//   INVITE → 500 (the system ACKs it and gives up);  BYE, CANCEL, other requests → 200;
//   a final response to an INVITE → ACK (2xx: to its Contact, through its Record-Route;
//   other finals: hop by hop with the response's Via branch);  everything else is dropped.
// It returns once nothing has arrived for `quietMs` (at most `maxMs`).
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

export interface DrainResult {
  ms: number;
  messages: number;
  answered: number;
  quiet: boolean;
}

const CRLF = '\r\n';

function headers(msg: string): { first: string; all: [string, string][] } {
  const head = msg.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const lines = head.split(/\r?\n/);
  const all: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && all.length > 0) {
      all[all.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i > 0) all.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
  }
  return { first: lines[0] ?? '', all };
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length' };
const norm = (name: string): string => COMPACT[name] ?? name;

/** The reply (or ACK) that ends `msg`, or undefined. */
export function endingMessage(msg: string): string | undefined {
  const { first, all } = headers(msg);
  const get = (n: string): string[] => all.filter(([k]) => norm(k) === n).map(([, v]) => v);
  const one = (n: string): string | undefined => get(n)[0];
  const from = one('from');
  const to = one('to');
  const callId = one('call-id');
  const cseq = one('cseq');
  if (from === undefined || to === undefined || callId === undefined || cseq === undefined) return undefined;
  const [seq, method] = cseq.split(/\s+/);
  if (first.startsWith('SIP/2.0 ')) {
    const status = Number(first.split(' ')[1]);
    if (method?.toUpperCase() !== 'INVITE' || !(status >= 200)) return undefined;
    const vias = get('via');
    if (status < 300) {
      const contact = /<([^>]+)>/.exec(one('contact') ?? '')?.[1] ?? /<([^>]+)>/.exec(to)?.[1];
      if (contact === undefined) return undefined;
      const routes = get('record-route').flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim())).reverse();
      const topVia = vias[0] ?? '';
      const via = topVia
        .replace(/;received=[^;,\s]+/, '')
        .replace(/;rport=\d+/, ';rport')
        .replace(/;branch=[^;,\s]+/, `;branch=z9hG4bK-drain-${randomBytes(6).toString('hex')}`);
      return [`ACK ${contact} SIP/2.0`, `Via: ${via}`, ...routes.map((r) => `Route: ${r}`), `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${seq} ACK`, 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join(CRLF);
    }
    const uri = /<([^>]+)>/.exec(to)?.[1] ?? to.split(';')[0]!;
    return [`ACK ${uri} SIP/2.0`, `Via: ${vias[0] ?? ''}`, `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${seq} ACK`, 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join(CRLF);
  }
  const reqMethod = first.split(' ')[0]?.toUpperCase();
  if (reqMethod === undefined || reqMethod === 'ACK') return undefined;
  const status = reqMethod === 'INVITE' ? '500 Server Internal Error' : '200 OK';
  const toTagged = /;\s*tag=/i.test(to) ? to : `${to};tag=drain${randomBytes(4).toString('hex')}`;
  return [`SIP/2.0 ${status}`, ...get('via').map((v) => `Via: ${v}`), `From: ${from}`, `To: ${toTagged}`, `Call-ID: ${callId}`, `CSeq: ${cseq}`, 'Content-Length: 0', '', ''].join(CRLF);
}

export async function drainPorts(ports: readonly number[], quietMs = 4000, maxMs = 40_000): Promise<DrainResult> {
  const start = Date.now();
  let last = start;
  let messages = 0;
  let answered = 0;
  const socks: dgram.Socket[] = [];
  for (const port of ports) {
    const s = dgram.createSocket('udp4');
    s.on('message', (buf, rinfo) => {
      messages++;
      last = Date.now();
      const reply = endingMessage(buf.toString('latin1'));
      if (reply !== undefined) {
        answered++;
        s.send(Buffer.from(reply, 'latin1'), rinfo.port, rinfo.address);
      }
    });
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      s.once('error', () => resolve());
      s.bind(port, '127.0.0.1', () => resolve());
    });
    socks.push(s);
  }
  while (Date.now() - last < quietMs && Date.now() - start < maxMs) await new Promise((r) => setTimeout(r, 200));
  for (const s of socks) s.close();
  return { ms: Date.now() - start, messages, answered, quiet: Date.now() - last >= quietMs };
}
