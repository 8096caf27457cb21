/**
 * ITU-T G.722 decoder, 64 kbit/s mode: one octet in, two 16 kHz samples out. Output is
 * saturated to int16 after the receive QMF (as current spandsp does; the oldest reference cast
 * wrapped instead).
 */
import { G722Band, QM2, QM4, QMF_COEFFS, saturate } from './g722-band.ts';

/** 6-bit lower-band inverse quantizer (G.722 Table 13 scaled, QM6). */
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856, -7192, -6576, -6000,
  -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
  11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136,
  -432, -136,
];

export class G722Decoder {
  private readonly low = new G722Band(32);
  private readonly high = new G722Band(8);
  /** Receive QMF delay line (24 taps). */
  private readonly x = new Int32Array(24);

  /** Decodes `data` into `out` at `offset`; writes and returns 2 * data.length samples. */
  decode(data: Uint8Array, out: Int16Array, offset = 0): number {
    const need = 2 * data.length;
    if (offset + need > out.length) throw new RangeError(`G.722 output needs ${need} samples`);
    const low = this.low;
    const high = this.high;
    const x = this.x;
    let o = offset;
    for (let j = 0; j < data.length; j++) {
      const code = data[j] ?? 0;
      const ilow = code & 0x3f;
      const ihigh = (code >> 6) & 0x03;
      // Block 5L INVQBL with the full 6-bit index, RECONS, 6L LIMIT
      let rlow = low.s + ((low.det * (QM6[ilow] ?? 0)) >> 15);
      if (rlow > 16383) rlow = 16383;
      else if (rlow < -16384) rlow = -16384;
      // Block 2L INVQAL with the 4-bit index drives adaptation, as in the encoder
      const ril = ilow >> 2;
      const dlowt = (low.det * (QM4[ril] ?? 0)) >> 15;
      low.adaptLow(ril);
      low.update(dlowt);

      // Block 2H INVQAH, 5H RECONS, 6H LIMIT, 3H, 4H
      const dhigh = (high.det * (QM2[ihigh] ?? 0)) >> 15;
      let rhigh = dhigh + high.s;
      if (rhigh > 16383) rhigh = 16383;
      else if (rhigh < -16384) rhigh = -16384;
      high.adaptHigh(ihigh);
      high.update(dhigh);

      // Receive QMF
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += (x[2 * i] ?? 0) * (QMF_COEFFS[i] ?? 0);
        xout1 += (x[2 * i + 1] ?? 0) * (QMF_COEFFS[11 - i] ?? 0);
      }
      out[o++] = saturate(xout1 >> 11);
      out[o++] = saturate(xout2 >> 11);
    }
    return need;
  }
}
