/** The application handlers of a transport layer's events (the real one and the fake share this). */
import { callSafely, type TransportLogger } from './logger.js';
import type { ManagedTransportEvents } from './types.js';

type Event = keyof ManagedTransportEvents;
type Arg<E extends Event> = Parameters<ManagedTransportEvents[E]>[0];

export class EventHandlers {
  private readonly sets: { [E in Event]: Set<ManagedTransportEvents[E]> } = {
    message: new Set(),
    parseFailure: new Set(),
    connectionOpened: new Set(),
    connectionClosed: new Set(),
  };

  constructor(private readonly logger: TransportLogger) {}

  on<E extends Event>(event: E, handler: ManagedTransportEvents[E]): void {
    this.sets[event].add(handler);
  }

  off<E extends Event>(event: E, handler: ManagedTransportEvents[E]): void {
    this.sets[event].delete(handler);
  }

  /** Calls each handler of `event`; one that throws or rejects is logged, the others still run. */
  emit<E extends Event>(event: E, arg: Arg<E>): void {
    for (const h of this.sets[event]) callSafely(this.logger, event, () => (h as (a: Arg<E>) => unknown)(arg));
  }

  clear(): void {
    for (const set of Object.values(this.sets)) set.clear();
  }
}
