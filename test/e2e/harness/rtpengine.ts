// A private rtpengine per test file.
//
// The daemon itself is started by src/media/rtpengine-process.ts (startRtpengine: the documented
// command line --config-file=none --interface=127.0.0.1 --listen-ng=127.0.0.1:<ng> --port-min
// --port-max --delete-delay=0 --foreground --log-stderr --table=-1, waits for the ng `pong`,
// stop() = SIGTERM then SIGKILL); it is re-exported here rather than duplicated.
// What this file adds for end-to-end tests: a port slot from ports.ts (a distinct ng port and a
// distinct 200-port media range per test file, lock-file protected across parallel workers),
// automatic stop at the end of the test file, and a dependency-free ng ping.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import {
  RtpengineStartError,
  startRtpengine,
  type RtpengineHandle,
  type RtpengineOptions,
} from '../../../src/media/rtpengine-process.js';
import { LOOPBACK, allocateRtpRange, type RtpPortRange } from './ports.js';

export {
  DEFAULT_RTPENGINE_BINARY,
  RtpengineStartError,
  rtpengineArgs,
  startRtpengine,
  type RtpengineHandle,
  type RtpengineOptions,
} from '../../../src/media/rtpengine-process.js';
export { NgClient, type NgEndpoint } from '../../../src/media/ng-client.js';

export interface TestRtpengine extends RtpengineHandle {
  /** The port slot it runs on (ng port, media range). */
  readonly range: RtpPortRange;
}

const running = new Set<TestRtpengine>();

/**
 * Start an rtpengine on a free slot from ports.ts (ng port 22400+s, media 22600+200s..+199).
 * Retries on another slot if the start fails because something grabbed the ports.
 * stop() also releases the slot; every instance still running is stopped by an afterAll hook
 * in vitest files that import this module, and killed on process exit by rtpengine-process.ts.
 */
export async function startTestRtpengine(
  opts: Omit<RtpengineOptions, 'ngPort' | 'portMin' | 'portMax'> = {},
  attempts = 3,
): Promise<TestRtpengine> {
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const range = await allocateRtpRange();
    let handle: RtpengineHandle;
    try {
      handle = await startRtpengine({ ...opts, ngPort: range.ngPort, portMin: range.portMin, portMax: range.portMax });
    } catch (err) {
      range.release();
      lastErr = err;
      if (err instanceof RtpengineStartError && /not found or not executable/.test(err.message)) throw err;
      continue;
    }
    const inner = handle;
    const wrapped: TestRtpengine = {
      get pid() {
        return inner.pid;
      },
      get endpoint() {
        return inner.endpoint;
      },
      get ngPort() {
        return inner.ngPort;
      },
      get cliPort() {
        return inner.cliPort;
      },
      get portMin() {
        return inner.portMin;
      },
      get portMax() {
        return inner.portMax;
      },
      get exited() {
        return inner.exited;
      },
      range,
      logTail: () => inner.logTail(),
      async stop() {
        try {
          await inner.stop();
        } finally {
          range.release();
          running.delete(wrapped);
        }
      },
    };
    running.add(wrapped);
    return wrapped;
  }
  throw lastErr;
}

/** Stop every rtpengine started with startTestRtpengine() in this process. */
export async function stopAllRtpengines(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop()));
}

/**
 * Send one ng `ping` (bencoded `d7:command4:pinge` behind a random cookie) to
 * 127.0.0.1:ngPort and wait for the reply. True if it contains `pong` within timeoutMs.
 */
export async function pingRtpengine(ngPort: number, timeoutMs = 500, host = LOOPBACK): Promise<boolean> {
  const cookie = randomBytes(6).toString('hex');
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      sock.on('message', (msg) => {
        const text = msg.toString('latin1');
        if (!text.startsWith(`${cookie} `)) return; // someone else's reply
        clearTimeout(timer);
        resolve(text.includes('pong'));
      });
      sock.on('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      sock.bind(0, LOOPBACK, () => {
        sock.send(Buffer.from(`${cookie} d7:command4:pinge`, 'latin1'), ngPort, host);
      });
    });
  } finally {
    sock.close();
  }
}

if (process.env['VITEST']) {
  try {
    const { afterAll } = await import('vitest');
    afterAll(async () => {
      await stopAllRtpengines();
    });
  } catch {
    // imported outside a collecting test file
  }
}
