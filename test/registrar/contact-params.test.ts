/**
 * The registrar keeps every Contact parameter of a binding (+sip.instance, reg-id, q,
 * feature tags such as +mobility-inbound, spec D-24/DM-04), returns them in the 200 OK
 * Contact list, and the persistent store keeps them across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Binding, MemoryBindingStore, bindingParam } from '../../src/registrar/binding-store.js';
import { PersistentBindingStore } from '../../src/registrar/persistent-binding-store.js';
import { Registrar, contactValue } from '../../src/registrar/registrar.js';
import { miMode } from '../../src/features/snr/eligibility.js';
import { DigestClient } from '../../src/sip/auth/digest-client.js';
import { computeHa1, hashOf } from '../../src/sip/auth/digest.js';
import { DigestServer } from '../../src/sip/auth/digest-server.js';
import { AuthLockout } from '../../src/sip/auth/lockout.js';
import type { SipRequest, SipResponse } from '../../src/sip/message/message.js';
import { parseMessage } from '../../src/sip/parser/parse-message.js';
import type { ServerTransaction } from '../../src/sip/transaction/types.js';
import type { Flow } from '../../src/sip/transport/types.js';
import { openLocalStateStores } from '../../src/state/index.js';

const REALM = 'example.com';
const PASSWORD = 'secret-d1';
const INSTANCE = '<urn:uuid:00000000-0000-1000-8000-00a0c91e6bf6>';
const flow: Flow = { protocol: 'udp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.1', remotePort: 5099 };

function registrar(store: MemoryBindingStore | PersistentBindingStore): Registrar {
  const digest = new DigestServer({ realm: REALM, secret: Buffer.alloc(32, 7), algorithms: ['MD5'] });
  const lockout = new AuthLockout({ threshold: 1000, windowMs: 60_000, durationMs: 60_000 });
  return new Registrar(
    store,
    {
      ha1: (u, r, hash) => (u === 'd1' ? computeHa1(hashOf(hash), u, r, PASSWORD) : undefined),
      mayRegister: (u, aor) => u === aor,
    },
    digest,
    lockout,
    { minExpiresS: 60, maxExpiresS: 3600, defaultExpiresS: 600, maxContactsPerAor: 10 },
  );
}

function request(cseq: number, contacts: string[], extra: string[] = []): SipRequest {
  const lines = [
    `REGISTER sip:${REALM} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-' + cseq + Math.random().toString(36).slice(2),
    `From: <sip:d1@${REALM}>;tag=abc`,
    `To: <sip:d1@${REALM}>`,
    'Call-ID: reg-params-1',
    `CSeq: ${cseq} REGISTER`,
    ...contacts.map((c) => `Contact: ${c}`),
    ...extra,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

/** REGISTER through the 401 challenge; resolves with the final response. */
function register(reg: Registrar, contacts: string[], cseq = 1, extra: string[] = []): SipResponse {
  const answer = (req: SipRequest): SipResponse => {
    let res: SipResponse | undefined;
    const tx = { respond: (r: SipResponse) => (res = r), state: 'trying' } as unknown as ServerTransaction;
    reg.handle(req, tx, flow);
    if (res === undefined) throw new Error('no response');
    return res;
  };
  const first = answer(request(cseq, contacts, extra));
  if (first.status !== 401) return first;
  const auth = new DigestClient().authorize({ challenge: first.getAll('www-authenticate'), username: 'd1', password: PASSWORD, method: 'REGISTER', uri: `sip:${REALM}` });
  if (!auth.ok) throw new Error(auth.reason);
  return answer(request(cseq + 1, contacts, [...extra, `Authorization: ${auth.value}`]));
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('registrar keeps Contact parameters', () => {
  it('stores instance, reg-id, q and feature tags on the binding', () => {
    const store = new MemoryBindingStore();
    const reg = registrar(store);
    const res = register(reg, [`<sip:d1@10.0.0.5:5070;transport=udp>;+sip.instance="${INSTANCE}";reg-id=1;q=0.7;+mobility-inbound="snr";expires=300`]);
    expect(res.status).toBe(200);
    const [b] = reg.lookup('d1') as [Binding];
    expect(b.contact).toBe('sip:d1@10.0.0.5:5070;transport=udp');
    expect(b.instance).toBe(INSTANCE);
    expect(b.regId).toBe(1);
    expect(b.q).toBe(0.7);
    expect(bindingParam(b, '+mobility-inbound')).toBe('snr');
    expect(b.params).toEqual({ '+sip.instance': INSTANCE, 'reg-id': '1', q: '0.7', '+mobility-inbound': 'snr' });
    expect(b.expiresAt - Date.now()).toBeGreaterThan(295_000);
  });

  it('returns the parameters in the 200 OK Contact list, feature tags quoted, expires as left', () => {
    const reg = registrar(new MemoryBindingStore());
    const res = register(reg, [`<sip:d1@10.0.0.5:5070>;+sip.instance="${INSTANCE}";reg-id=1;+mobility-inbound="voip";+audio`], 1, ['Expires: 120']);
    expect(res.status).toBe(200);
    const contacts = res.getAll('contact');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toBe(`<sip:d1@10.0.0.5:5070>;+sip.instance="${INSTANCE}";reg-id=1;+mobility-inbound="voip";+audio;expires=120`);
    // What we wrote parses back to the same parameters.
    const again = res.contacts;
    expect(again).not.toBe('*');
    const p = (again as { params: Map<string, string | null> }[])[0]!.params;
    expect(p.get('+sip.instance')).toBe(INSTANCE);
    expect(p.get('+mobility-inbound')).toBe('voip');
    expect(p.get('+audio')).toBeNull();
  });

  it('lists every binding of the AOR with its own parameters', () => {
    const reg = registrar(new MemoryBindingStore());
    register(reg, ['<sip:d1@10.0.0.5:5070>;+mobility-inbound="snr"'], 1);
    const res = register(reg, ['<sip:d1@10.0.0.6:5070>;q=0.5'], 5);
    const contacts = res.getAll('contact');
    expect(contacts.some((c) => c.startsWith('<sip:d1@10.0.0.5:5070>;+mobility-inbound="snr";expires='))).toBe(true);
    expect(contacts.some((c) => c.startsWith('<sip:d1@10.0.0.6:5070>;q=0.5;expires='))).toBe(true);
  });

  it('DM-04 / D-24: SNR sees the client inbound mode from the registered Contact parameters', () => {
    const reg = registrar(new MemoryBindingStore());
    register(reg, ['<sip:d1@10.0.0.5:5070>;+mobility-inbound="snr"']);
    const now = Date.now();
    expect(miMode({ dvoEnabled: true }, reg.lookup('d1').map((b) => contactValue(b, now)))).toBe('snr');
    register(reg, ['<sip:d1@10.0.0.5:5070>;+mobility-inbound="voip"'], 5);
    expect(miMode({ dvoEnabled: true }, reg.lookup('d1').map((b) => contactValue(b, now)))).toBe('voip');
    // The bare URI (what SNR used to look at) never carried it.
    register(reg, ['<sip:d1@10.0.0.5:5070>;+mobility-inbound="snr"'], 9);
    expect(miMode({ dvoEnabled: true }, reg.lookup('d1').map((b) => b.contact))).toBe('voip');
  });

  it('a parameter named __proto__ stays a plain parameter', () => {
    const reg = registrar(new MemoryBindingStore());
    expect(register(reg, ['<sip:d1@10.0.0.5:5070>;__proto__=x']).status).toBe(200);
    const [b] = reg.lookup('d1') as [Binding];
    expect(Object.getPrototypeOf(b.params)).toBe(Object.prototype);
    expect(Object.keys(b.params!)).toEqual(['__proto__']);
  });

  it('a new contact of the same instance and reg-id replaces the old one (RFC 5626)', () => {
    const reg = registrar(new MemoryBindingStore());
    register(reg, [`<sip:d1@10.0.0.5:5070>;+sip.instance="${INSTANCE}";reg-id=1`], 1);
    register(reg, [`<sip:d1@10.0.0.5:5071>;+sip.instance="${INSTANCE}";reg-id=2`], 5);
    register(reg, [`<sip:d1@10.0.0.9:5070>;+sip.instance="${INSTANCE}";reg-id=1`], 9);
    expect(reg.lookup('d1').map((b) => b.contact).sort()).toEqual(['sip:d1@10.0.0.5:5071', 'sip:d1@10.0.0.9:5070']);
  });

  it('persisted bindings keep their parameters across a restart, and unregister removes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ma-reg-'));
    dirs.push(dir);
    const path = join(dir, 'state.sqlite');
    const errors: Error[] = [];
    let state = openLocalStateStores(path);
    let store = await PersistentBindingStore.open(state.registrations, (e) => errors.push(e));
    let reg = registrar(store);
    register(reg, [`<sip:d1@10.0.0.5:5070>;+sip.instance="${INSTANCE}";reg-id=1;+mobility-inbound="snr";q=0.9`, '<sip:d1@10.0.0.6:5070>;+mobility-inbound="voip"']);
    await state.close();

    state = openLocalStateStores(path);
    store = await PersistentBindingStore.open(state.registrations, (e) => errors.push(e));
    reg = registrar(store);
    const byContact = new Map(reg.lookup('d1').map((b) => [b.contact, b]));
    const a = byContact.get('sip:d1@10.0.0.5:5070')!;
    expect(a.instance).toBe(INSTANCE);
    expect(a.regId).toBe(1);
    expect(a.q).toBe(0.9);
    expect(a.params).toEqual({ '+sip.instance': INSTANCE, 'reg-id': '1', '+mobility-inbound': 'snr', q: '0.9' });
    expect(bindingParam(byContact.get('sip:d1@10.0.0.6:5070')!, '+mobility-inbound')).toBe('voip');

    // Unregistering the instance binding removes its row (keyed by instance), not only the memory copy.
    const res = register(reg, [`<sip:d1@10.0.0.5:5070>;+sip.instance="${INSTANCE}";reg-id=1;expires=0`], 10);
    expect(res.status).toBe(200);
    await state.close();
    state = openLocalStateStores(path);
    store = await PersistentBindingStore.open(state.registrations, (e) => errors.push(e));
    expect(store.list('d1').map((b) => b.contact)).toEqual(['sip:d1@10.0.0.6:5070']);
    await state.close();
    expect(errors).toEqual([]);
  });
});
