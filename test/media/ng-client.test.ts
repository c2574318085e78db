// NgClient against a real rtpengine, through a small UDP relay that can drop or duplicate
// datagrams (the network between us and rtpengine, not a stand-in for rtpengine).
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startRtpengineOnFreePorts, type RtpengineHandle } from '../../src/media/rtpengine-process.js';
import { NgClient, NgCommandError, NgTimeoutError, type NgEndpoint } from '../../src/media/ng-client.js';
import { BencodeError, bdecode, bencode, type BDecoded } from '../../src/media/bencode.js';
import { audioSdp, sleep } from './helpers.js';

type Policy = (n: number) => 'drop' | 'forward' | 'duplicate';

class LossyRelay {
  policy: Policy = () => 'forward';
  requests = 0;
  forwarded = 0;
  replies: Buffer[] = [];
  private client: dgram.RemoteInfo | undefined;
  private constructor(private readonly sock: dgram.Socket, private readonly target: NgEndpoint) {
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port === target.port) {
        this.replies.push(msg);
        if (this.client) sock.send(msg, this.client.port, this.client.address);
        return;
      }
      this.client = rinfo;
      const action = this.policy(this.requests++);
      if (action === 'drop') return;
      const copies = action === 'duplicate' ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        this.forwarded++;
        sock.send(msg, target.port, target.host);
      }
    });
  }
  static async open(target: NgEndpoint): Promise<LossyRelay> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new LossyRelay(s, target);
  }
  get endpoint(): NgEndpoint {
    return { host: '127.0.0.1', port: this.sock.address().port };
  }
  reset(policy: Policy): void {
    this.policy = policy;
    this.requests = 0;
    this.forwarded = 0;
    this.replies = [];
  }
  close(): void {
    this.sock.close();
  }
}

let rtp: RtpengineHandle;
let relay: LossyRelay;
let ng: NgClient;

beforeAll(async () => {
  rtp = await startRtpengineOnFreePorts();
  relay = await LossyRelay.open(rtp.endpoint);
  ng = await NgClient.create({ timeoutMs: 400 });
});

afterAll(async () => {
  await ng?.close();
  relay?.close();
  await rtp?.stop();
});

describe('NgClient', () => {
  it('ping → pong directly', async () => {
    expect((await ng.request(rtp.endpoint, { command: 'ping' }))['result']).toBe('pong');
  });

  it('retransmits once when the first datagram is lost', async () => {
    relay.reset((n) => (n === 0 ? 'drop' : 'forward'));
    const before = { ...ng.stats };
    const t0 = Date.now();
    const r = await ng.request(relay.endpoint, { command: 'ping' });
    expect(r['result']).toBe('pong');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190); // retransmit at timeout/2
    expect(ng.stats.retransmits - before.retransmits).toBe(1);
    expect(relay.requests).toBe(2);
  });

  it('a duplicated offer gets rtpengine\'s cached reply (same cookie = same result), the extra reply is a stray', async () => {
    relay.reset(() => 'duplicate');
    const before = { ...ng.stats };
    const r = await ng.request(relay.endpoint, { command: 'offer', 'call-id': 'dup-1', 'from-tag': 'a', sdp: audioSdp(4000) });
    await sleep(50);
    expect(relay.replies.length).toBe(2);
    expect(relay.replies[0]!.equals(relay.replies[1]!)).toBe(true); // same ports: executed once
    expect(typeof r['sdp']).toBe('string');
    expect(ng.stats.strays - before.strays).toBe(1);
    expect(ng.pendingCount).toBe(0);
    await ng.request(rtp.endpoint, { command: 'delete', 'call-id': 'dup-1', 'delete delay': 0 });
  });

  it('times out with NgTimeoutError after one retransmission when everything is lost', async () => {
    relay.reset(() => 'drop');
    const t0 = Date.now();
    const err = await ng.request(relay.endpoint, { command: 'ping' }, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NgTimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195);
    expect(Date.now() - t0).toBeLessThan(400);
    expect(relay.requests).toBe(2);
    expect(ng.pendingCount).toBe(0);
  });

  it('result=error becomes NgCommandError with rtpengine\'s reason', async () => {
    const err = await ng.request(rtp.endpoint, { command: 'query', 'call-id': 'no-such-call' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NgCommandError);
    expect((err as NgCommandError).reason).toBe('Unknown call-id');
  });

  it('refuses a command that cannot fit one UDP datagram', async () => {
    const before = ng.stats.sent;
    await expect(ng.request(rtp.endpoint, { command: 'play media', blob: Buffer.alloc(70_000) })).rejects.toThrow(/UDP limit/);
    expect(ng.stats.sent).toBe(before);
    expect(ng.pendingCount).toBe(0);
  });

  it('many concurrent requests are matched to their replies', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `conc-${i}`);
    const replies = await Promise.all(ids.map((id) => ng.request(rtp.endpoint, { command: 'offer', 'call-id': id, 'from-tag': 'a', sdp: audioSdp(4000) })));
    const ports = replies.map((r) => /m=audio (\d+)/.exec(String(r['sdp']))![1]);
    expect(new Set(ports).size).toBe(ids.length);
    await Promise.all(ids.map((id) => ng.request(rtp.endpoint, { command: 'delete', 'call-id': id, 'delete delay': 0 })));
    const list = await ng.request(rtp.endpoint, { command: 'list' });
    expect(list['calls']).toEqual([]);
  });
});

describe('bencode', () => {
  it('encodes the ng shapes', () => {
    expect(bencode({ command: 'ping' }).toString()).toBe('d7:command4:pinge');
    expect(bencode({ a: ['x', 12, -3], b: undefined, c: true }).toString()).toBe('d1:al1:xi12ei-3ee1:ci1ee');
    expect(bencode('é').toString()).toBe('2:é'); // byte length, not char length
    expect(bencode({ blob: Buffer.from([0, 255]) })).toEqual(Buffer.concat([Buffer.from('d4:blob2:'), Buffer.from([0, 255]), Buffer.from('e')]));
    expect(bencode({ k: 1 }, 'cookie ').toString()).toBe('cookie d1:ki1ee');
    expect(() => bencode(1.5)).toThrow(BencodeError);
  });

  it('round-trips arbitrary values', () => {
    const value: fc.Arbitrary<BDecoded> = fc.letrec<{ v: BDecoded }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(bdecode(bencode(v))).toEqual(v);
      }),
    );
  });

  it('rejects malformed input and keeps __proto__ keys inert', () => {
    for (const bad of ['', 'i12', 'ie', 'i1xe', '5:abc', 'l1:a', 'd1:a', 'di1ei2ee', 'x', '1:ab', '-1:a']) {
      expect(() => bdecode(Buffer.from(bad)), bad).toThrow(BencodeError);
    }
    const d = bdecode(Buffer.from('d9:__proto__d1:xi1eee')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(Object.keys(d)).toEqual(['__proto__']);
  });
});
