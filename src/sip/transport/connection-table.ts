/**
 * Every open stream connection, indexed by id and by remote address:port so a
 * response or a later request to a peer reuses the connection it already has
 * (NAT'd phones can only be reached that way). Also: admission caps per
 * remote IP and in total, and idle reaping.
 */
import { normalizeAddress, remoteKey } from './address.js';
import type { Connection } from './connection.js';
import type { TransportProtocol } from './types.js';

export class ConnectionTable {
  private readonly byId = new Map<string, Connection>();
  /** remote key → connections, oldest first (the newest open one is used). */
  private readonly byRemote = new Map<string, Connection[]>();
  private readonly keysOf = new Map<Connection, string[]>();
  private readonly inboundPerIp = new Map<string, number>();
  private inboundTotal = 0;

  constructor(
    private readonly maxInbound: number,
    private readonly maxInboundPerIp: number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }

  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
    this.index(conn, remoteKey(conn.protocol, conn.flow.remoteAddress, conn.flow.remotePort));
  }

  /** Also find `conn` under another name (the host name an outbound connection was opened to). */
  index(conn: Connection, key: string): void {
    const keys = this.keysOf.get(conn) ?? [];
    if (keys.includes(key)) return;
    keys.push(key);
    this.keysOf.set(conn, keys);
    const list = this.byRemote.get(key);
    if (list === undefined) this.byRemote.set(key, [conn]);
    else list.push(conn);
  }

  remove(conn: Connection): void {
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
    for (const key of this.keysOf.get(conn) ?? []) {
      const list = this.byRemote.get(key);
      if (list === undefined) continue;
      const rest = list.filter((c) => c !== conn);
      if (rest.length === 0) this.byRemote.delete(key);
      else this.byRemote.set(key, rest);
    }
    this.keysOf.delete(conn);
  }

  has(conn: Connection): boolean {
    return this.byId.get(conn.id) === conn;
  }

  get(id: string): Connection | undefined {
    const c = this.byId.get(id);
    return c?.isOpen === true ? c : undefined;
  }

  find(protocol: TransportProtocol, address: string, port: number): Connection | undefined {
    const list = this.byRemote.get(remoteKey(protocol, address, port));
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.isOpen) return list[i];
    return undefined;
  }

  /** Reserve an inbound slot; undefined when the source IP or the total is at its cap. */
  admit(remoteAddress: string): (() => void) | undefined {
    const ip = normalizeAddress(remoteAddress);
    const n = this.inboundPerIp.get(ip) ?? 0;
    if (this.inboundTotal >= this.maxInbound || n >= this.maxInboundPerIp) return undefined;
    this.inboundPerIp.set(ip, n + 1);
    this.inboundTotal++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inboundTotal--;
      const left = (this.inboundPerIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.inboundPerIp.delete(ip);
      else this.inboundPerIp.set(ip, left);
    };
  }

  /** Connections idle for longer than `idleMs` and not retained. */
  idle(now: number, idleMs: number): Connection[] {
    const out: Connection[] = [];
    for (const c of this.byId.values()) if (c.holds === 0 && now - c.lastActivity >= idleMs) out.push(c);
    return out;
  }
}
