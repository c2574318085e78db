/** A layer on a fake transport with recording TUs, for the state machine tests. */
import { vi } from 'vitest';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/message.js';
import { TransactionLayer } from '../../../../src/sip/transaction/transaction-layer.js';
import type {
  ClientTransaction,
  ClientTransactionUser,
  ServerTransaction,
  TimerSettings,
  TransactionUser,
} from '../../../../src/sip/transaction/types.js';
import type { Flow } from '../../../../src/sip/transport/types.js';
import { FakeTransport } from './fake-transport.js';

export const TIMERS: TimerSettings = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000, timerCMs: 180_000 };

export interface RecordingClientUser extends ClientTransactionUser {
  responses: SipResponse[];
  timeouts: number;
  transportErrors: Error[];
  terminated: number;
  /** state of the transaction seen inside each onResponse */
  statesSeen: string[];
}

export function clientUser(): RecordingClientUser {
  const u: RecordingClientUser = {
    responses: [],
    timeouts: 0,
    transportErrors: [],
    terminated: 0,
    statesSeen: [],
    onResponse(response: SipResponse, tx: ClientTransaction) {
      u.responses.push(response);
      u.statesSeen.push(tx.state);
    },
    onTimeout() {
      u.timeouts++;
    },
    onTransportError(error: Error) {
      u.transportErrors.push(error);
    },
    onTerminated() {
      u.terminated++;
    },
  };
  return u;
}

export interface RecordingTu extends TransactionUser {
  requests: { request: SipRequest; tx: ServerTransaction | undefined; flow: Flow }[];
  cancels: { tx: ServerTransaction; cancel: SipRequest }[];
  strays: SipResponse[];
  serverTimeouts: ServerTransaction[];
  serverTransportErrors: Error[];
  /** Called for each new request (after recording); the test can respond here. */
  onNew?: (request: SipRequest, tx: ServerTransaction | undefined) => void;
}

export function recordingTu(): RecordingTu {
  const tu: RecordingTu = {
    requests: [],
    cancels: [],
    strays: [],
    serverTimeouts: [],
    serverTransportErrors: [],
    onRequest(request, tx, flow) {
      tu.requests.push({ request, tx, flow });
      tu.onNew?.(request, tx);
    },
    onCancel(tx, cancel) {
      tu.cancels.push({ tx, cancel });
    },
    onStrayResponse(response) {
      tu.strays.push(response);
    },
    onServerTimeout(tx) {
      tu.serverTimeouts.push(tx);
    },
    onServerTransportError(error) {
      tu.serverTransportErrors.push(error);
    },
  };
  return tu;
}

export function setup(timers: TimerSettings = TIMERS) {
  const transport = new FakeTransport();
  const tu = recordingTu();
  const layer = new TransactionLayer(transport, tu, { timers });
  return { transport, tu, layer };
}

/** Let rejected sends reach their handlers. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Virtual send times relative to `t0`. */
export function times(records: { at: number }[], t0: number): number[] {
  return records.map((r) => r.at - t0);
}

export function useFakeClock(): void {
  vi.useFakeTimers({ now: 0 });
}
