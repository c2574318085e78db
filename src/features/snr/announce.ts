/**
 * Answer an INVITE, play a short tone or prompt to the caller through rtpengine, and hang up
 * (confirmation of the desk SNR codes, SNR-11). rtpengine is the only media party: the
 * "callee" side of its call is a discard sink on 127.0.0.1:9.
 */
import type { CallLogger } from '../../b2bua/call.js';
import type { MediaAnchor } from '../../media/media-anchor.js';
import { createResponse } from '../../sip/message/response.js';
import type { IncomingInvite } from '../../sip/ua/incoming-invite.js';
import type { UserAgentCore } from '../../sip/ua/user-agent-core.js';

const SINK_TAG = 'snr-announce';
const SINK_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

export interface Announcement {
  /** Resolves once the call is over (our BYE or the caller's). */
  done: Promise<void>;
  /** Hang up now (server shutdown). */
  stop(): void;
}

/**
 * Without a media anchor (or an SDP offer) the INVITE is answered with `fallbackStatus` and
 * its reason phrase instead.
 */
export function announce(
  inv: IncomingInvite,
  deps: { ua: UserAgentCore; anchor: MediaAnchor | undefined; log: CallLogger },
  audio: Buffer,
  fallback: { status: number; reason: string },
): Announcement {
  const req = inv.request;
  const callId = req.callId;
  const callerTag = req.from.tag ?? '';
  let stopNow: (() => void) | undefined;
  const done = (async (): Promise<void> => {
    const anchor = deps.anchor;
    if (anchor === undefined || req.body.length === 0) {
      inv.reject(fallback.status, { reason: fallback.reason });
      return;
    }
    try {
      await anchor.offer({ callId, fromTag: callerTag, sdp: req.bodyText });
      const answer = await anchor.answer({ callId, fromTag: callerTag, toTag: SINK_TAG, sdp: SINK_SDP });
      if (inv.finalStatus !== undefined) return; // the caller cancelled meanwhile
      // Before accept(): the UA core wraps this handler when the 2xx goes out.
      inv.onAckTimeout = () => stopNow?.();
      const dialog = inv.accept({ body: answer.sdp, contentType: 'application/sdp' });
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const end = (bye: boolean): void => {
          clearTimeout(timer);
          dialog.onTerminated = undefined;
          if (bye && dialog.state !== 'terminated') void deps.ua.bye(dialog);
          resolve();
        };
        stopNow = () => end(true);
        dialog.onTerminated = () => end(false);
        dialog.onRequest = (r, tx) => {
          if (r.method === 'INVITE') {
            dialog.reinvite?.reject(488);
            dialog.reinvite = undefined;
          } else tx.respond(createResponse(r, r.method === 'INFO' || r.method === 'OPTIONS' ? 200 : 501));
        };
        anchor.playMedia({ callId, fromTag: callerTag, blob: audio }).then(
          (r) => {
            timer = setTimeout(() => end(true), (r.durationMs ?? 1000) + 300);
          },
          (e: Error) => {
            deps.log.warn({ err: e.message, callId }, 'announcement could not be played');
            end(true);
          },
        );
      });
    } catch (e) {
      deps.log.warn({ err: (e as Error).message, callId }, 'announcement failed');
      inv.reject(fallback.status, { reason: fallback.reason });
    } finally {
      await anchor.delete({ callId }).catch(() => undefined);
    }
  })();
  return { done, stop: () => stopNow?.() };
}
