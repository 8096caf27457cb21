/**
 * Browser offers as werift 0.25 can take them.
 *
 * ICE candidate `generation` (a non-standard a=candidate extension, RFC 8839 5.1 lets an
 * agent ignore unknown extensions): after an ICE restart Chrome counts its candidates as
 * `generation 1`, 2, ...; werift's agent nominates a pair only when the remote candidate's
 * generation equals its OWN restart count (Connection.checkComplete), which is 0 for the
 * fresh peer a resumed or re-offering guest gets (src/app/guest-resume.ts). The checks then
 * succeed but nothing is ever nominated, so DTLS never starts. Dropping the attribute makes
 * werift skip that comparison; the ufrag already tells candidate generations apart.
 */
export function offerForWerift(offerSdp: string): string {
  return offerSdp.replace(/^(a=candidate:[^\r\n]*?) generation \d+/gm, '$1');
}
