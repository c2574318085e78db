/**
 * Where registrations live. The in-memory store is the default; the server
 * wraps a persistent store (src/state) so bindings survive a restart, and a
 * Redis store can take its place for several nodes.
 */
import type { TransportProtocol } from '../sip/transport/types.js';

export interface Binding {
  aor: string;
  contact: string;
  expiresAt: number;
  q: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER came from: requests to this contact go back over it. */
  flow: { protocol: TransportProtocol; address: string; port: number; connectionId?: string };
  /** `+sip.instance` (RFC 5626/5627) as registered, e.g. `<urn:uuid:...>`. */
  instance?: string;
  /** `reg-id` (RFC 5626). */
  regId?: number;
  userAgent?: string;
  /**
   * Every Contact parameter as registered except `expires` (q, +sip.instance, reg-id,
   * feature tags such as `+mobility-inbound`, spec D-24), in order; null = no value.
   * Values are unquoted (the registrar quotes feature tags again in its 200 OK).
   */
  params?: Record<string, string | null>;
}

/** A binding's feature/extension parameter (`+mobility-inbound`...), case-insensitive name. */
export function bindingParam(b: Binding, name: string): string | null | undefined {
  if (b.params === undefined) return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(b.params)) if (k.toLowerCase() === want) return v;
  return undefined;
}

export interface BindingStore {
  list(aor: string): Binding[];
  put(binding: Binding): void;
  remove(aor: string, contact: string): void;
  removeAll(aor: string): void;
  /** Drop expired bindings; returns how many were removed. */
  sweep(now: number): number;
  readonly size: number;
}

export class MemoryBindingStore implements BindingStore {
  private readonly byAor = new Map<string, Binding[]>();

  list(aor: string): Binding[] {
    return this.byAor.get(aor) ?? [];
  }

  put(binding: Binding): void {
    const list = (this.byAor.get(binding.aor) ?? []).filter((b) => b.contact !== binding.contact);
    list.push(binding);
    this.byAor.set(binding.aor, list);
  }

  remove(aor: string, contact: string): void {
    const list = (this.byAor.get(aor) ?? []).filter((b) => b.contact !== contact);
    if (list.length === 0) this.byAor.delete(aor);
    else this.byAor.set(aor, list);
  }

  removeAll(aor: string): void {
    this.byAor.delete(aor);
  }

  sweep(now: number): number {
    let n = 0;
    for (const [aor, list] of this.byAor) {
      const keep = list.filter((b) => b.expiresAt > now);
      n += list.length - keep.length;
      if (keep.length === 0) this.byAor.delete(aor);
      else if (keep.length !== list.length) this.byAor.set(aor, keep);
    }
    return n;
  }

  get size(): number {
    let n = 0;
    for (const l of this.byAor.values()) n += l.length;
    return n;
  }
}
