/**
 * User-control voicemail avoidance (spec VMA-03, D-42): an RD fork that answered is ACKed by
 * the call (CallTarget.confirm), the caller keeps hearing ringback, and this module
 *   1. blocks the RD's media towards the caller (a mobile voicemail greeting or the callee's
 *      voice never reaches the caller before the key press),
 *   2. after `promptDelayMs` plays the "press any key to accept" prompt to that leg only,
 *   3. accepts on the first digit (SIP INFO on the leg, or RFC 4733 through rtpengine's DTMF
 *      events), also one pressed before or during the prompt, and gives up
 *      `dtmfWaitMs` after the prompt has ended.
 * On acceptance the prompt is stopped and the media unblocked before the call bridges.
 */
import type { BranchConfirmation, CallLogger } from '../../b2bua/call.js';
import type { MediaAnchor } from '../../media/media-anchor.js';
import { parseDtmfInfo } from '../../sip/extensions/dtmf-info.js';
import type { RtpengineDtmfEvents } from './dtmf-events.js';

export interface UserControlSettings {
  promptDelayMs: number;
  dtmfWaitMs: number;
  /** The prompt (a WAV blob) or a file path readable by rtpengine. */
  prompt: { blob: Buffer } | { file: string };
  /** Prompt length when rtpengine does not report one. */
  promptMs: number;
}

export type UserControlResult = 'accepted' | 'timeout' | 'aborted';

export interface UserControlHooks {
  /** Digit that accepted the leg, and how (for logs and tests). */
  onDigit?(digit: string, via: 'info' | 'rfc4733'): void;
  onPrompt?(durationMs: number): void;
  onResult?(r: UserControlResult): void;
}

export async function confirmByKeyPress(
  c: BranchConfirmation,
  settings: UserControlSettings,
  anchor: MediaAnchor | undefined,
  dtmf: RtpengineDtmfEvents | undefined,
  log: CallLogger,
  hooks: UserControlHooks = {},
): Promise<boolean> {
  const media = { callId: c.callId, fromTag: c.mediaTag };
  const bestEffort = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      log.warn({ err: (e as Error).message, callId: c.callId }, `user control: ${what} failed`);
    }
  };
  if (anchor !== undefined) await bestEffort('block media', () => anchor.blockMedia(media));
  if (c.signal.aborted) return false;

  let prompting = false;
  const result = await new Promise<UserControlResult>((resolve) => {
    let promptTimer: NodeJS.Timeout | undefined;
    let waitTimer: NodeJS.Timeout | undefined;
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const finish = (r: UserControlResult): void => {
      if (done) return;
      done = true;
      clearTimeout(promptTimer);
      clearTimeout(waitTimer);
      unsubscribe?.();
      c.onInfo = undefined;
      c.signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = (): void => finish('aborted');
    const digit = (d: string, via: 'info' | 'rfc4733'): void => {
      if (done) return;
      hooks.onDigit?.(d, via);
      finish('accepted');
    };
    c.signal.addEventListener('abort', onAbort);
    c.onInfo = (info) => {
      const e = parseDtmfInfo(info.contentType, info.body);
      if (e !== undefined) digit(e.digit, 'info');
    };
    if (dtmf !== undefined) unsubscribe = dtmf.subscribe(c.callId, c.mediaTag, (d) => digit(d, 'rfc4733'));
    const waitAfterPrompt = (promptMs: number): void => {
      if (done) return;
      waitTimer = setTimeout(() => finish('timeout'), promptMs + settings.dtmfWaitMs);
    };
    promptTimer = setTimeout(() => {
      promptTimer = undefined;
      if (done) return;
      if (anchor === undefined) {
        log.warn({ callId: c.callId }, 'user control without a media anchor: no prompt can be played (VMA-04)');
        waitAfterPrompt(0);
        return;
      }
      prompting = true;
      anchor
        .playMedia({ ...media, ...settings.prompt })
        .then(
          (r) => {
            const ms = r.durationMs ?? settings.promptMs;
            hooks.onPrompt?.(ms);
            waitAfterPrompt(ms);
          },
          (e: Error) => {
            log.warn({ err: e.message, callId: c.callId }, 'user control: prompt could not be played (VMA-04)');
            waitAfterPrompt(0);
          },
        );
    }, settings.promptDelayMs);
  });
  hooks.onResult?.(result);
  if (result !== 'accepted') return false;
  // The prompt may still be playing when the key is pressed early.
  if (anchor !== undefined && prompting) await bestEffort('stop media', () => anchor.stopMedia(media));
  if (anchor !== undefined) await bestEffort('unblock media', () => anchor.unblockMedia(media));
  return !c.signal.aborted;
}
