/**
 * End-to-end helpers for the MVA and EFA tests: a real server (startTestServer: fixture F with
 * trunk T pointing at SIPp, its own rtpengine reporting RFC 4733 digits to the server with
 * `--dtmf-log-dest`, log lines kept) whose MVA and EFA feature instances can be inspected, and
 * the SIPp caller (sipp-scenarios/mva-uac-dtmf.xml) with its key presses filled in.
 */
import type { Fixture } from '../../../src/directory/index.js';
import { EfaFeature } from '../../../src/features/efa/index.js';
import { MvaFeature } from '../../../src/features/mva/index.js';
import type { RtpengineHandle } from '../../../src/media/rtpengine-process.js';
import type { RunningServer } from '../../../src/server.js';
import { runSipp, writeScenarioVariant, type SippResult } from '../../e2e/harness/sipp.js';
import { featureOf, startTestServer } from '../../e2e/server-fixture.js';

export { sleep, until } from '../../e2e/harness/wait.js';

export interface IvrTestServer {
  server: RunningServer;
  fixture: Fixture;
  mva: MvaFeature;
  efa: EfaFeature;
  rtpengine: RtpengineHandle;
  readonly udpPort: number;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface IvrTestServerOptions {
  /** SIPp playing gateway T (outbound trunk calls). */
  trunkPort: number;
  /** Source ports of inbound trunk calls (the SIPp callers). */
  trunkAlternatePorts: number[];
  /** Mobility parameters set as service parameters after seeding. */
  mobility?: Record<string, unknown>;
}

export async function startIvrServer(o: IvrTestServerOptions): Promise<IvrTestServer> {
  // The log lines are kept in memory (MVA-11 logging is asserted); printed with E2E_LOG.
  const ts = await startTestServer({ ...o, dtmfEvents: true, captureLogs: true, dataDirPrefix: 'ma-ivr-e2e-' });
  let mva: MvaFeature;
  let efa: EfaFeature;
  try {
    mva = featureOf(ts.server, MvaFeature);
    efa = featureOf(ts.server, EfaFeature);
  } catch (e) {
    await ts.stop();
    throw e;
  }
  return {
    server: ts.server,
    fixture: ts.fixture,
    mva,
    efa,
    rtpengine: ts.rtpengine!,
    logs: ts.logs,
    get udpPort() {
      return ts.udpPort;
    },
    stop: () => ts.stop(),
  };
}

/** Keys pressed by the call's method, a pause in ms, or keys pressed by another method. */
export type KeyStep = string | { pauseMs: number } | { keys: string; via: KeyVia };
export type KeyVia = 'info' | 'rfc4733' | 'both';

const PCAP: Record<string, string> = { '*': 'star', '#': 'pound' };

/**
 * A SIPp <send> of one key as SIP INFO (application/dtmf-relay) in the call's dialog, starting
 * transaction `txn` (the caller matches its 200 with response_txn).
 */
export function infoKeyXml(key: string, txn: string): string {
  return `  <send retrans="500" start_txn="${txn}"><![CDATA[

      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      [routes]
      From: <sip:[$caller]@[$dom]>;tag=[pid]SIPpTag00[call_number]
      To:[$peer_to]
      Call-ID: [call_id]
      CSeq: [cseq] INFO
      Contact: <sip:[$caller]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${key}
      Duration=160

    ]]></send>`;
}

/** One key press: INFO Signal=D (and/or the RFC 4733 pcap of the digit). */
function keyXml(d: string, via: KeyVia, n: number): string {
  const out: string[] = [];
  if (via === 'rfc4733' || via === 'both') {
    out.push(`  <nop display="rfc4733 ${d}"><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_${PCAP[d] ?? d}.pcap" /></action></nop>`);
    // The pcap plays in the background (one key press lasts about 250 ms).
    out.push('  <pause milliseconds="400" />');
  }
  if (via === 'info' || via === 'both') {
    out.push(`${infoKeyXml(d, `info${n}`)}
  <recv response="200" response_txn="info${n}" />`);
    out.push('  <pause milliseconds="60" />');
  }
  return out.join('\n');
}

/** The KEYS block of mva-uac-dtmf.xml: "1234#" strings are typed key by key. */
export function keysBlock(steps: readonly KeyStep[], via: KeyVia = 'info'): string {
  const out: string[] = [];
  let n = 0;
  for (const s of steps) {
    if (typeof s === 'string') for (const d of s) out.push(keyXml(d, via, n++));
    else if ('keys' in s) for (const d of s.keys) out.push(keyXml(d, s.via, n++));
    else out.push(`  <pause milliseconds="${s.pauseMs}" />`);
  }
  return out.join('\n');
}

export interface DialInOptions {
  from: string;
  called: string;
  port: number;
  serverPort: number;
  keys: readonly KeyStep[];
  via?: KeyVia;
  /** The caller hangs up after the keys (else it waits for the server's BYE). */
  hangup?: boolean;
  timeoutS?: number;
  /** The port in the caller's SDP offer (e.g. a test's RTP counter, to hear the prompts). */
  rtpPort?: number;
}

let variant = 0;

/** The SIPp caller T→S with its key presses. */
export async function dialIn(o: DialInOptions): Promise<SippResult> {
  const edits: [string, string][] = [['<!-- @KEYS@ -->', keysBlock(o.keys, o.via)]];
  if (o.rtpPort !== undefined) edits.push(['m=audio [media_port]', `m=audio ${o.rtpPort}`]);
  const file = await writeScenarioVariant('mva-uac-dtmf', edits, `mva-uac-dtmf-${process.pid}-${variant++}`);
  return runSipp({
    scenario: file,
    remote: `127.0.0.1:${o.serverPort}`,
    port: o.port,
    service: o.called,
    set: { from: o.from, hangup: o.hangup === true ? '1' : '0' },
    timeoutS: o.timeoutS ?? 30,
  });
}
