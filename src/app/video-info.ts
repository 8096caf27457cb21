/**
 * SIP INFO `picture_fast_update` (RFC 5168, application/media_control+xml): the key frame
 * request of room systems that do not use RTCP feedback. Both ways:
 *
 *   from a peer   `onVideoInfo`: the INFO asks for a key frame of the video the peer receives
 *                 from the room; the room handles it like that leg's PLI (translated to the
 *                 source it currently sees). The INFO is answered 200 by the caller either way
 *                 (RFC 6086 4.2.2: the request was understood; an unknown package is not an
 *                 error of the dialog).
 *   to a peer     `pictureFastUpdateSender`: the media plane's 'video-keyframe-info' event (a
 *                 key frame is needed from a SIP leg that negotiated neither `nack pli` nor
 *                 `ccm fir`) becomes an INFO on that leg's dialog.
 *
 * The XML is recognised, not validated: RFC 5168 4 defines one primitive; anything else in a
 * media_control body is ignored.
 */
import type { MediaLegHandle } from '../ports/media-plane.ts';
import type { Logger } from '../ports/logger.ts';
import type { IncomingDialogRequest, SignallingBackend } from '../ports/signalling-backend.ts';

export const MEDIA_CONTROL_TYPE = 'application/media_control+xml';

/** RFC 5168 4 (the example of 7.1). */
export const PICTURE_FAST_UPDATE_XML =
  '<?xml version="1.0" encoding="utf-8" ?>\r\n<media_control>\r\n  <vc_primitive>\r\n    <to_encoder>\r\n      <picture_fast_update/>\r\n    </to_encoder>\r\n  </vc_primitive>\r\n</media_control>\r\n';

/** Whether an INFO carries RFC 5168's picture_fast_update. Never throws. */
export function isPictureFastUpdate(contentType: string | null, body: string): boolean {
  if (contentType === null || contentType.split(';')[0]?.trim().toLowerCase() !== MEDIA_CONTROL_TYPE) return false;
  const text = body.replace(/<!--[\s\S]*?-->/g, '');
  return /<\s*media_control[\s>]/i.test(text) && /<\s*to_encoder\s*>[\s\S]*<\s*picture_fast_update\s*\/?\s*>/i.test(text);
}

/**
 * The hook CallService runs on an in-dialog INFO (before answering it 200): a
 * picture_fast_update asks the room for a key frame for this leg. Returns whether it was one.
 */
export function onVideoInfo(leg: MediaLegHandle, req: Pick<IncomingDialogRequest, 'contentType' | 'body'>): boolean {
  if (!isPictureFastUpdate(req.contentType, req.body)) return false;
  leg.videoKeyFrameRequest?.();
  return true;
}

/**
 * A handler for the media plane's events (compose.ts): sends picture_fast_update INFO to the
 * dialog of a leg that asked for it. `dialogOfLeg` maps a media leg id to its dialog.
 */
export function pictureFastUpdateSender(backend: Pick<SignallingBackend, 'request'>, dialogOfLeg: (legId: string) => string | undefined, logger: Logger): (event: { readonly type: string; readonly legId: string }) => void {
  return (event) => {
    if (event.type !== 'video-keyframe-info') return;
    const dialogId = dialogOfLeg(event.legId);
    if (dialogId === undefined) return;
    backend.request(dialogId, 'INFO', { contentType: MEDIA_CONTROL_TYPE, body: PICTURE_FAST_UPDATE_XML }).then(
      (r) => {
        if (r.status >= 300) logger.info({ dialogId, status: r.status }, 'picture_fast_update INFO refused');
      },
      (err: unknown) => logger.warn({ dialogId, err: err instanceof Error ? err.message : String(err) }, 'picture_fast_update INFO failed'),
    );
  };
}
