/**
 * ITU-T G.722 encoder, 64 kbit/s mode (6-bit lower band + 2-bit higher band per octet),
 * 16 kHz 16-bit PCM in, one octet per two samples out. Note the RTP clock rate of G.722 is
 * 8000 although it samples at 16 kHz (RFC 3551 4.5.2): a 20 ms frame is 320 samples, 160
 * octets, and advances the RTP timestamp by 160.
 */
import { G722Band, QM2, QM4, QMF_COEFFS, saturate } from './g722-band.ts';

/** Lower-band 6-bit quantizer decision levels (Table 12, Q6) and codes for +/- (ILP/ILN). */
const Q6 = [0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0];
const ILN = [0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0];
const ILP = [0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0];

export const PT_G722 = 9;

export class G722Encoder {
  private readonly low = new G722Band(32);
  private readonly high = new G722Band(8);
  /** Transmit QMF delay line (24 taps). */
  private readonly x = new Int32Array(24);

  /**
   * Encodes an even number of samples; writes pcm.length / 2 octets into `out` at `offset` and
   * returns that count. State carries over between calls (frames must be fed in order).
   */
  encode(pcm: Int16Array, out: Uint8Array, offset = 0): number {
    if (pcm.length % 2 !== 0) throw new RangeError('G.722 encodes sample pairs: pcm length must be even');
    const n = pcm.length >> 1;
    if (offset + n > out.length) throw new RangeError(`G.722 output needs ${n} octets`);
    const x = this.x;
    const low = this.low;
    const high = this.high;
    for (let j = 0; j < n; j++) {
      // Transmit QMF: shift in two samples, split into lower and higher band.
      x.copyWithin(0, 2);
      x[22] = pcm[2 * j] ?? 0;
      x[23] = pcm[2 * j + 1] ?? 0;
      let sumOdd = 0;
      let sumEven = 0;
      for (let i = 0; i < 12; i++) {
        const c = QMF_COEFFS[i] ?? 0;
        const c2 = QMF_COEFFS[11 - i] ?? 0;
        sumOdd += (x[2 * i] ?? 0) * c;
        sumEven += (x[2 * i + 1] ?? 0) * c2;
      }
      const xlow = (sumEven + sumOdd) >> 14;
      const xhigh = (sumEven - sumOdd) >> 14;

      // Block 1L SUBTRA + QUANTL
      const el = saturate(xlow - low.s);
      const wdl = el >= 0 ? el : -(el + 1);
      let i = 1;
      for (; i < 30; i++) if (wdl < ((Q6[i] ?? 0) * low.det) >> 12) break;
      const ilow = el < 0 ? (ILN[i] ?? 0) : (ILP[i] ?? 0);
      // Block 2L INVQAL (4-bit truncated index), 3L, 4L
      const ril = ilow >> 2;
      const dlow = (low.det * (QM4[ril] ?? 0)) >> 15;
      low.adaptLow(ril);
      low.update(dlow);

      // Block 1H SUBTRA + QUANTH
      const eh = saturate(xhigh - high.s);
      const wdh = eh >= 0 ? eh : -(eh + 1);
      const mih = wdh >= (564 * high.det) >> 12 ? 2 : 1;
      const ihigh = eh < 0 ? (mih === 2 ? 0 : 1) : mih === 2 ? 2 : 3; // IHN = [0,1,0], IHP = [0,3,2]
      // Block 2H INVQAH, 3H, 4H
      const dhigh = (high.det * (QM2[ihigh] ?? 0)) >> 15;
      high.adaptHigh(ihigh);
      high.update(dhigh);

      out[offset + j] = (ihigh << 6) | ilow;
    }
    return n;
  }
}
