// Minimal types for npm rtpengine-client 0.4.12 (it ships none). Only the benchmark
// (bench/media/ng-cycle.ts) uses it, to compare against our own ng client (src/media/ng-client.ts).
// Note: the constructor really takes {localAddress, localPort, timeout, rejectOnError}
// (its README says host/port), and the package needs `debug` installed at runtime.
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  export interface RtpengineClientOptions {
    localAddress?: string;
    localPort?: number;
    timeout?: number;
    rejectOnError?: boolean;
  }

  export type NgReply = Record<string, unknown> & { result?: string; sdp?: string; 'error-reason'?: string };
  type Target = { port: number; host: string };

  export class Client extends EventEmitter {
    constructor(opts?: RtpengineClientOptions);
    offer(target: Target, opts: Record<string, unknown>): Promise<NgReply>;
    answer(target: Target, opts: Record<string, unknown>): Promise<NgReply>;
    delete(target: Target, opts: Record<string, unknown>): Promise<NgReply>;
    query(target: Target, opts: Record<string, unknown>): Promise<NgReply>;
    ping(target: Target): Promise<NgReply>;
    close(): void;
  }

  export class RtpEngineError extends Error {}
}
