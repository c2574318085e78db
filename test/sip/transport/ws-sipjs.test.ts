/**
 * A real WebSocket UA (sip.js) against the WS transport: it registers, and a
 * request sent back to it by connectionId (its Contact host is *.invalid) is
 * answered. Own file: sip.js needs a global WebSocket, which Node 20 lacks.
 */
import { Registerer, RegistererState, UserAgent } from 'sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { SipRequest } from '../../../src/sip/message/message.js';
import { createResponse } from '../../../src/sip/message/response.js';
import { parseMessage } from '../../../src/sip/parser/parse-message.js';
import { createTransportLayer, type NetworkTransportLayer } from '../../../src/sip/transport/transport-layer.js';
import type { Flow } from '../../../src/sip/transport/types.js';
import { nextEvent, waitFor } from './helpers.js';

const g = globalThis as { WebSocket?: unknown };
const hadWebSocket = 'WebSocket' in g;
const savedWebSocket = g.WebSocket;
let layer: NetworkTransportLayer;

beforeAll(async () => {
  if (!hadWebSocket) g.WebSocket = WebSocket;
  layer = await createTransportLayer({ listen: [{ protocol: 'ws', host: '127.0.0.1', port: 0 }] });
});

afterAll(async () => {
  await layer.close();
  if (!hadWebSocket) delete g.WebSocket;
  else g.WebSocket = savedWebSocket;
});

describe('sip.js UA over WS', () => {
  it('registers, then receives a MESSAGE over the connection it registered on', async () => {
    let registeredFlow: Flow | undefined;
    let contact = '';
    layer.on('message', ({ message, flow }) => {
      if (!message.isRequest() || message.method !== 'REGISTER') return;
      registeredFlow = flow;
      contact = message.get('contact') ?? '';
      const res = createResponse(message, 200, undefined, 'reg-tag');
      res.set('contact', `${contact};expires=600`);
      void layer.sendResponse(res, flow);
    });
    const ua = new UserAgent({
      uri: UserAgent.makeURI('sip:alice@example.com'),
      transportOptions: { server: `ws://127.0.0.1:${layer.listeningPoint('ws')!.port}/` },
      logBuiltinEnabled: false,
      logLevel: 'error',
      delegate: { onMessage: (m) => void m.accept() },
    });
    await ua.start();
    const registerer = new Registerer(ua, { expires: 600 });
    await registerer.register();
    await waitFor(() => registerer.state === RegistererState.Registered, 5000, 'registered');
    expect(registeredFlow?.protocol).toBe('ws');
    expect(contact).toMatch(/\.invalid/);

    const host = /@([^;>:]+)/.exec(contact)![1]!;
    const msg = parseMessage(
      Buffer.from(
        [
          `MESSAGE sip:alice@${host};transport=ws SIP/2.0`,
          `Via: SIP/2.0/WS 127.0.0.1:${layer.listeningPoint('ws')!.port};branch=z9hG4bK-m1`,
          'Max-Forwards: 70',
          'From: <sip:server@example.com>;tag=s1',
          'To: <sip:alice@example.com>',
          'Call-ID: msg-1@test',
          'CSeq: 1 MESSAGE',
          'Content-Type: text/plain',
          'Content-Length: 2',
          '',
          'hi',
        ].join('\r\n'),
      ),
    ) as SipRequest;
    const answer = nextEvent(layer, 'message', 5000);
    await layer.send(msg, { protocol: 'ws', address: host, port: 0, connectionId: registeredFlow!.connectionId! });
    const { message, flow } = await answer;
    expect(message.isRequest()).toBe(false);
    expect(message.isRequest() ? 0 : message.status).toBe(200);
    expect(flow.connectionId).toBe(registeredFlow!.connectionId);
    await ua.stop();
  });
});
