/**
 * Media services on an anchored call (spec GEN-03, SR-02, MID-03, MID-09): music on hold,
 * call-progress tones and prompts, all played by rtpengine (`play media` / `stop media`) into
 * the stream towards one participant, so no media passes through Node.
 *
 * Participants are named the way rtpengine names them: the media call id (the A-leg Call-ID
 * of the B2BUA call) and the participant's tag. rtpengine plays *to* the participant given as
 * from-tag. Verified on the installed 10.5 (test/media/media-services.test.ts): the played
 * audio goes out *next to* the RTP relayed from the other side (two SSRCs interleaved, which
 * sounds broken), it does not replace it. So MoH blocks the holder's media (`block media`
 * from-tag = holder) for as long as it plays and unblocks it on stopMoh. One thing plays to a
 * participant at a time: starting a tone replaces MoH on that participant and the other way round.
 *
 * The generated files (./tones.ts) live in `<dataDir>/media/`; `files` overrides any of them
 * (MID-09: MoH per RD profile or device is a file chosen by the feature and passed to holdWithMoh).
 */
import type { MediaAnchor } from './media-anchor.js';
import { type Conference, type ConferenceOptions, createConference } from './mixer/conference.js';
import { type ToneFiles, type ToneName, ensureTones, toneMs } from './tones.js';

export type PlayableTone = Exclude<ToneName, 'moh' | 'prompt'>;

export interface MediaServicesOptions {
  readonly anchor: MediaAnchor;
  /** Where the generated files are written (`<dataDir>/media/`). */
  readonly dataDir: string;
  /** Replace generated files with recordings readable by rtpengine. */
  readonly files?: Partial<Record<ToneName, string>>;
  /** MoH keeps playing for at least this long (default 2 h): repeat-times is derived from it. */
  readonly maxMohS?: number;
}

export interface Participant {
  /** rtpengine call id (the anchored call's A-leg Call-ID). */
  readonly callId: string;
  /** The participant that hears the audio (its rtpengine tag: From or To tag of its leg). */
  readonly tag: string;
}

export interface PlayResult {
  /** Length of one play-through as rtpengine reports it (ms), if it does. */
  readonly durationMs?: number;
}

type Playing = 'moh' | 'tone' | 'prompt';

export interface HoldOptions {
  /** The other party (who put `p` on hold): its media is blocked while MoH plays. */
  readonly holderTag?: string;
  /** A MoH source other than the default (MID-09: per RD profile or device). */
  readonly file?: string;
}

interface Entry {
  what: Playing;
  /** Tag whose media this service blocked (MoH) and must unblock. */
  blocked: string | undefined;
}

export class MediaServices {
  readonly files: ToneFiles;
  private readonly anchor: MediaAnchor;
  private readonly mohRepeat: number;
  /** What plays to whom, per participant: the map is empty when nothing plays. */
  private readonly playing = new Map<string, Entry>();
  private readonly conferences = new Set<Conference>();

  constructor(opts: MediaServicesOptions) {
    this.anchor = opts.anchor;
    const generated = ensureTones(opts.dataDir);
    this.files = { ...generated, ...(opts.files ?? {}) };
    // A generated MoH cadence is 2 s; a recording is probably longer, so this errs long.
    this.mohRepeat = Math.max(1, Math.ceil(((opts.maxMohS ?? 7200) * 1000) / toneMs('moh')));
  }

  /**
   * Music on hold to `p` (the held party, e.g. the FAR leg) until stopMoh/stop or the call ends.
   * With `holderTag`, the holder's audio is blocked meanwhile (see the header: rtpengine would
   * otherwise send it to `p` interleaved with the music).
   */
  async holdWithMoh(p: Participant, opts: HoldOptions = {}): Promise<PlayResult> {
    const prev = this.playing.get(key(p));
    if (opts.holderTag !== undefined && prev?.blocked !== opts.holderTag) {
      await this.anchor.blockMedia({ callId: p.callId, fromTag: opts.holderTag });
    }
    if (prev?.blocked !== undefined && prev.blocked !== opts.holderTag) await this.unblock(p.callId, prev.blocked);
    this.playing.set(key(p), { what: 'moh', blocked: opts.holderTag });
    try {
      return await this.anchor.playMedia({ callId: p.callId, fromTag: p.tag, file: opts.file ?? this.files.moh, repeatTimes: this.mohRepeat });
    } catch (e) {
      await this.stop(p).catch(() => undefined);
      throw e;
    }
  }

  /** Stop MoH to `p` (and unblock the holder); a no-op when MoH is not what plays there. */
  async stopMoh(p: Participant): Promise<void> {
    if (this.playing.get(key(p))?.what !== 'moh') return;
    await this.stop(p);
  }

  /** A call-progress tone to `p`, `repeat` cadences (default: ringback 30, busy/reorder 60, confirmation 1). */
  async playTone(p: Participant, tone: PlayableTone, repeat?: number): Promise<PlayResult> {
    const times = repeat ?? (tone === 'confirmation' ? 1 : tone === 'ringback' ? 30 : 60);
    const r = await this.anchor.playMedia({ callId: p.callId, fromTag: p.tag, file: this.files[tone], repeatTimes: times });
    await this.replaced(p, 'tone');
    return r;
  }

  /** A prompt (a file readable by rtpengine, a WAV blob, or the built-in "press any key"). */
  async playPrompt(p: Participant, prompt?: { file: string } | { blob: Buffer }): Promise<PlayResult> {
    const src = prompt ?? { file: this.files.prompt };
    const r = await this.anchor.playMedia({ callId: p.callId, fromTag: p.tag, ...src });
    await this.replaced(p, 'prompt');
    return r;
  }

  /** Stop whatever plays to `p` (rtpengine `stop media`); the normal media flow resumes. */
  async stop(p: Participant): Promise<void> {
    const e = this.playing.get(key(p));
    this.playing.delete(key(p));
    try {
      await this.anchor.stopMedia({ callId: p.callId, fromTag: p.tag });
    } finally {
      if (e?.blocked !== undefined) await this.unblock(p.callId, e.blocked);
    }
  }

  /** What plays to `p`, as far as this service knows (a prompt/tone may have ended by itself). */
  playingTo(p: Participant): Playing | undefined {
    return this.playing.get(key(p))?.what;
  }

  /** A tone/prompt replaced whatever played to `p`: a holder blocked for MoH is heard again. */
  private async replaced(p: Participant, what: Playing): Promise<void> {
    const prev = this.playing.get(key(p));
    this.playing.set(key(p), { what, blocked: undefined });
    if (prev?.blocked !== undefined) await this.unblock(p.callId, prev.blocked);
  }

  private async unblock(callId: string, tag: string): Promise<void> {
    await this.anchor.unblockMedia({ callId, fromTag: tag });
  }

  /** Drop the bookkeeping of a call (call ended: rtpengine stopped everything with the delete). */
  forgetCall(callId: string): void {
    const prefix = `${callId}\n`;
    for (const k of [...this.playing.keys()]) if (k.startsWith(prefix)) this.playing.delete(k);
  }

  /** Participants with something playing (returns to 0 when idle). */
  get size(): number {
    return this.playing.size;
  }

  /**
   * A G.711 conference bridge (MID-08; rtpengine 10.5 cannot mix, see docs/media.md). Its ports
   * are anchored through rtpengine like any endpoint. Closed by close() if still open.
   */
  async createConference(opts: ConferenceOptions = {}): Promise<Conference> {
    const conf = await createConference(opts);
    this.conferences.add(conf);
    const close = conf.close.bind(conf);
    return Object.assign(conf, {
      close: async (): Promise<void> => {
        this.conferences.delete(conf);
        await close();
      },
    });
  }

  /** Open conference bridges (returns to 0 when idle). */
  get openConferences(): number {
    return this.conferences.size;
  }

  /** Close every conference bridge (server shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.conferences].map((c) => c.close()));
  }
}

function key(p: Participant): string {
  return `${p.callId}\n${p.tag}`;
}
