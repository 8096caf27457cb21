/**
 * Can a receiver decode what a source sends? The room forwards video unchanged (no
 * transcoding), so a source payload type reaches a receiver only as one of the receiver's
 * negotiated payload types of the same codec:
 *   VP8 (RFC 7741)    same name and clock
 *   H.264 (RFC 6184)  same packetization-mode (8.1: 0 single NAL only, 1 non-interleaved:
 *                     different packetizations), and the same profile, or a Constrained
 *                     Baseline source (its streams are decodable by every other profile's
 *                     decoder, H.264 A.2.1.1)
 * Levels need no check: every leg's answer caps them at the same level (sdp/codec-match.ts).
 */
import type { VideoFormat } from '../../app/video-plan.ts';

export function receivable(source: VideoFormat, receiver: VideoFormat): boolean {
  if (source.name.toLowerCase() !== receiver.name.toLowerCase() || source.clockRate !== receiver.clockRate) return false;
  if (source.name.toLowerCase() !== 'h264') return true;
  if ((source.packetizationMode ?? 0) !== (receiver.packetizationMode ?? 0)) return false;
  return source.h264Profile === receiver.h264Profile || source.h264Profile === 'constrained-baseline';
}

/** The receiver's payload type for the source's `pt`, or null when it cannot decode it. */
export function targetPayloadType(sourceFormats: readonly VideoFormat[], pt: number, receiverFormats: readonly VideoFormat[]): number | null {
  const f = sourceFormats.find((x) => x.pt === pt);
  if (f === undefined) return null;
  return receiverFormats.find((r) => receivable(f, r))?.pt ?? null;
}

/** Whether the receiver can decode at least one of the source's formats. */
export function anyReceivable(sourceFormats: readonly VideoFormat[], receiverFormats: readonly VideoFormat[]): boolean {
  return sourceFormats.some((f) => receiverFormats.some((r) => receivable(f, r)));
}
