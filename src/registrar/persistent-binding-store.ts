/**
 * Bindings kept in memory for the call path (synchronous lookups) and written
 * through to a RegistrationStore (src/state) so they survive a restart.
 */
import { type ContactBinding, type RegistrationStore, bindingKey } from '../state/types.js';
import type { TransportProtocol } from '../sip/transport/types.js';
import { type Binding, type BindingStore, MemoryBindingStore } from './binding-store.js';

const PROTOCOLS = new Set<TransportProtocol>(['udp', 'tcp', 'tls', 'ws', 'wss']);

export class PersistentBindingStore implements BindingStore {
  private readonly memory = new MemoryBindingStore();

  private constructor(
    private readonly backing: RegistrationStore,
    private readonly onError: (e: Error) => void,
  ) {}

  /** Load every unexpired binding from the backing store. */
  static async open(backing: RegistrationStore, onError: (e: Error) => void): Promise<PersistentBindingStore> {
    const s = new PersistentBindingStore(backing, onError);
    const now = Date.now();
    for (const aor of await backing.listAors(now)) {
      for (const b of await backing.list(aor, now)) {
        const protocol = b.received.transport as TransportProtocol;
        if (!PROTOCOLS.has(protocol)) continue;
        s.memory.put({
          aor: b.aor,
          contact: b.contact,
          expiresAt: b.expiresAt,
          q: b.q,
          callId: b.callId,
          cseq: b.cseq,
          // A connection does not survive our restart; the phone's next REGISTER brings a new one.
          flow: { protocol, address: b.received.address, port: b.received.port },
          ...(b.instanceId !== null ? { instance: b.instanceId } : {}),
          ...(b.regId !== null ? { regId: b.regId } : {}),
          ...(b.userAgent !== null ? { userAgent: b.userAgent } : {}),
          // Rows written before the parameters were kept have none beyond +sip.instance.
          params: { ...b.params },
        });
      }
    }
    return s;
  }

  list(aor: string): Binding[] {
    return this.memory.list(aor);
  }

  put(b: Binding): void {
    // A binding that changes identity (instance gained or lost) must not leave its old row behind.
    const prev = this.memory.list(b.aor).find((x) => x.contact === b.contact);
    if (prev !== undefined && bindingKey(rowKeyOf(prev)) !== bindingKey(rowKeyOf(b))) this.backing.remove(b.aor, bindingKey(rowKeyOf(prev))).catch(this.onError);
    this.memory.put(b);
    const row: ContactBinding = {
      aor: b.aor,
      contact: b.contact,
      expiresAt: b.expiresAt,
      q: b.q,
      callId: b.callId,
      cseq: b.cseq,
      instanceId: b.instance ?? null,
      regId: b.instance !== undefined ? (b.regId ?? null) : null,
      path: [],
      received: { address: b.flow.address, port: b.flow.port, transport: b.flow.protocol },
      flow: { connectionId: b.flow.connectionId ?? null, localAddress: null, localPort: null },
      params: b.params !== undefined ? { ...b.params } : b.instance !== undefined ? { '+sip.instance': b.instance } : {},
      userAgent: b.userAgent ?? null,
      registeredAt: Date.now(),
    };
    this.backing.put(row).catch(this.onError);
  }

  remove(aor: string, contact: string): void {
    const b = this.memory.list(aor).find((x) => x.contact === contact);
    this.memory.remove(aor, contact);
    // The backing store keys a binding by instance (and reg-id) when it has one (bindingKey).
    const key = b === undefined ? `uri:${contact}` : bindingKey(rowKeyOf(b));
    this.backing.remove(aor, key).catch(this.onError);
  }

  removeAll(aor: string): void {
    this.memory.removeAll(aor);
    this.backing.removeAll(aor).catch(this.onError);
  }

  sweep(now: number): number {
    this.backing.sweep(now).catch(this.onError);
    return this.memory.sweep(now);
  }

  get size(): number {
    return this.memory.size;
  }
}

function rowKeyOf(b: Binding): Pick<ContactBinding, 'contact' | 'instanceId' | 'regId'> {
  return { contact: b.contact, instanceId: b.instance ?? null, regId: b.instance !== undefined ? (b.regId ?? null) : null };
}
