/**
 * Which participant each of a receiver's video slots carries (issue 6: "video as separate
 * tracks to browsers"). A browser guest offers a fixed number K of extra recvonly video
 * m-lines (src/web/guest-call.ts); the gateway answers each sendonly with its own SSRC, and
 * every slot carries ONE other participant (RFC 7667 3.7 selective forwarding: one outgoing
 * stream per forwarded source, RFC 8843 BUNDLE demultiplexed by the signalled a=ssrc).
 *
 * With more others than slots, a receiver sees the K most recent speakers: the active speaker
 * first, then by when each was last the speaker (newest first), then by join order. Pure; the
 * caller passes the ranking in.
 *
 * Assignment keeps the picture stable: a participant that stays among the wanted ones keeps
 * its slot (its browser tile does not jump); a newly wanted one takes the lowest free slot
 * (one freed by a participant who left or fell out of the K most recent speakers).
 */

/** The slots' new occupants: `current[i]` kept when still wanted, the others placed lowest-first. */
export function assignSlots<Id extends object | string | number>(current: readonly (Id | null)[], ranked: readonly Id[]): (Id | null)[] {
  const wanted = ranked.slice(0, current.length);
  const out = current.map((id) => (id !== null && wanted.includes(id) ? id : null));
  for (const id of wanted) {
    if (out.includes(id)) continue;
    const free = out.indexOf(null);
    if (free < 0) break; // unreachable: |wanted| <= |slots|
    out[free] = id;
  }
  return out;
}

/**
 * `candidates` (in join order) ranked for the slots: `speaker` first, then by `lastSpoke`
 * (larger = more recent; absent = never spoke), then join order. Stable: ties keep join order.
 */
export function rankBySpeech<Id>(candidates: readonly Id[], speaker: Id | null, lastSpoke: ReadonlyMap<Id, number>): Id[] {
  const key = (id: Id): number => (id === speaker ? Number.POSITIVE_INFINITY : (lastSpoke.get(id) ?? Number.NEGATIVE_INFINITY));
  return [...candidates].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka === kb ? 0 : kb > ka ? 1 : -1;
  });
}
