/**
 * Packet index estimation (RFC 3711 s3.3.1 and Appendix A): the receiver (and the sender, for
 * its own packets) guesses the rollover counter v of a sequence number SEQ from the highest
 * sequence number s_l seen so far and the current ROC:
 *
 *   if s_l < 2^15:  v = (SEQ - s_l > 2^15) ? ROC - 1 : ROC
 *   else:           v = (s_l - 2^15 > SEQ) ? ROC + 1 : ROC
 *
 * ROC - 1 does not exist while ROC is 0; like libsrtp (srtp_rdbx_estimate_index) we then keep
 * ROC 0, so a large backwards jump early in a stream reads as a forward jump instead of a
 * negative index.
 */
export function estimateRoc(roc: number, sl: number, seq: number): number {
  if (sl < 0x8000) {
    if (seq - sl > 0x8000) return roc === 0 ? 0 : roc - 1;
    return roc;
  }
  return sl - 0x8000 > seq ? roc + 1 : roc;
}
