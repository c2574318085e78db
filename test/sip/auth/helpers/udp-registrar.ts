/**
 * Test-only UDP registrar that challenges REGISTERs with a DigestServer, so a
 * real peer (sipp) can be pointed at it. The SIP handling is deliberately
 * minimal (header copying by regex): the message model is built elsewhere and
 * this auth module must not depend on it.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { DigestServer, DigestVerifyResult, LookupHa1 } from '../../../../src/sip/auth/index.js';

export interface UdpRegistrar {
  readonly port: number;
  readonly results: DigestVerifyResult[];
  close(): Promise<void>;
}

function headerValues(msg: string, name: string): string[] {
  const out: string[] = [];
  for (const line of msg.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name.toLowerCase()) out.push(line.slice(i + 1).trim());
  }
  return out;
}

export async function startUdpRegistrar(server: DigestServer, lookupHa1: LookupHa1): Promise<UdpRegistrar> {
  const sock = dgram.createSocket('udp4');
  const results: DigestVerifyResult[] = [];
  sock.on('message', (buf, rinfo) => {
    const msg = buf.toString('utf8');
    const requestLine = msg.slice(0, msg.indexOf('\r\n'));
    const [method, requestUri] = requestLine.split(' ');
    if (method === undefined || requestUri === undefined || requestLine.startsWith('SIP/2.0')) return;
    const copy = ['Via', 'From', 'Call-ID', 'CSeq']
      .flatMap((h) => headerValues(msg, h).map((v) => `${h}: ${v}`))
      .join('\r\n');
    const to = `To: ${headerValues(msg, 'To')[0] ?? ''};tag=reg1`;
    const credentials = headerValues(msg, 'Authorization');
    const result = server.verify({
      method,
      credentialsValue: credentials.length > 0 ? credentials : undefined,
      lookupHa1,
      requestUri,
    });
    results.push(result);
    const status = result.ok ? '200 OK' : '401 Unauthorized';
    const extra = result.ok ? [] : result.challenge.map((c) => `WWW-Authenticate: ${c}`);
    const response = ['SIP/2.0 ' + status, copy, to, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
    sock.send(response, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address() as AddressInfo;
  return {
    port,
    results,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
