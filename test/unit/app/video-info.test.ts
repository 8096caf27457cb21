import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPictureFastUpdate, MEDIA_CONTROL_TYPE, onVideoInfo, PICTURE_FAST_UPDATE_XML } from '../../../src/app/video-info.ts';
import type { MediaLegHandle } from '../../../src/ports/media-plane.ts';

/** RFC 5168 7.1 example body, as room systems send it (one line, other spacing). */
const ONE_LINE = '<?xml version="1.0" encoding="utf-8" ?><media_control><vc_primitive><to_encoder><picture_fast_update></picture_fast_update></to_encoder></vc_primitive></media_control>';

const CASES: readonly (readonly [string, string | null, string, boolean])[] = [
  ['RFC 5168 4: picture_fast_update (our own body)', MEDIA_CONTROL_TYPE, PICTURE_FAST_UPDATE_XML, true],
  ['RFC 5168 7.1: open/close tags on one line', MEDIA_CONTROL_TYPE, ONE_LINE, true],
  ['content type with parameters and other case', 'Application/Media_Control+XML; charset=utf-8', ONE_LINE, true],
  ['other content type (RFC 6086 INFO package)', 'application/dtmf-relay', ONE_LINE, false],
  ['no content type', null, ONE_LINE, false],
  ['media_control without the primitive', MEDIA_CONTROL_TYPE, '<media_control><general_error>x</general_error></media_control>', false],
  ['primitive only inside a comment', MEDIA_CONTROL_TYPE, '<media_control><!-- <to_encoder><picture_fast_update/></to_encoder> --></media_control>', false],
];

describe('SIP INFO picture_fast_update (RFC 5168)', () => {
  for (const [name, type, body, yes] of CASES) it(name, () => expect(isPictureFastUpdate(type, body)).toBe(yes));

  it('a picture_fast_update asks the leg for a key frame of the video it receives; anything else does not', () => {
    let asked = 0;
    const leg = { id: 'x', videoKeyFrameRequest: () => ++asked > 0 } as unknown as MediaLegHandle;
    expect(onVideoInfo(leg, { contentType: MEDIA_CONTROL_TYPE, body: PICTURE_FAST_UPDATE_XML })).toBe(true);
    expect(onVideoInfo(leg, { contentType: 'application/dtmf-relay', body: 'Signal=1' })).toBe(false);
    expect(asked).toBe(1);
  });

  it('property: never throws, on any content type and body', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.string(), (type, body) => {
        expect(typeof isPictureFastUpdate(type, body)).toBe('boolean');
      }),
    );
  });
});
