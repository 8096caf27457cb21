/**
 * Shared state and blocks of the ITU-T G.722 SB-ADPCM codec (64 kbit/s mode): the adaptive
 * predictor update (Block 4: RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ,
 * PREDIC) and the scale factor adaptation (Blocks 3L/3H: LOGSCL/LOGSCH, SCALEL/SCALEH), common
 * to encoder and decoder. Integer arithmetic exactly as the reference algorithm so that
 * output is bit-exact with other implementations (checked against spandsp in the tests).
 * Written from the G.722 block descriptions, following the structure of the public-domain
 * CMU/spandsp implementation.
 */

/** Saturates to int16 as the reference's `saturate()`. */
export function saturate(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** QMF coefficients (G.722 Table 11), 24 taps used as two interleaved sets of 12. */
export const QMF_COEFFS: readonly number[] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/** Inverse-log table for the scale factor (G.722 Table 15, ILB). */
const ILB: readonly number[] = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228,
  3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
/** Log scale factor multipliers, lower band (Table 14, WL) and higher band (WH). */
const WL: readonly number[] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42: readonly number[] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const WH: readonly number[] = [0, -214, 798];
const RH2: readonly number[] = [2, 1, 2, 1];
/** 4-bit lower-band inverse quantizer (QM4) and 2-bit higher-band (QM2), Tables 13/16 scaled. */
export const QM4: readonly number[] = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];
export const QM2: readonly number[] = [-7408, -1616, 7408, 1616];

function at(t: readonly number[], i: number): number {
  return t[i] ?? 0;
}

export class G722Band {
  s = 0;
  sp = 0;
  sz = 0;
  nb = 0;
  det: number;
  readonly r = [0, 0, 0];
  readonly a = [0, 0, 0];
  readonly ap = [0, 0, 0];
  readonly p = [0, 0, 0];
  readonly d = [0, 0, 0, 0, 0, 0, 0];
  readonly b = [0, 0, 0, 0, 0, 0, 0];
  readonly bp = [0, 0, 0, 0, 0, 0, 0];
  readonly sg = [0, 0, 0, 0, 0, 0, 0];

  constructor(initialDet: number) {
    this.det = initialDet;
  }

  /** Blocks 3L LOGSCL + SCALEL for the lower band; `ril` is the 4-bit quantizer index. */
  adaptLow(ril: number): void {
    let nb = ((this.nb * 127) >> 7) + at(WL, at(RL42, ril));
    if (nb < 0) nb = 0;
    else if (nb > 18432) nb = 18432;
    this.nb = nb;
    this.det = scale(nb, 8);
  }

  /** Blocks 3H LOGSCH + SCALEH for the higher band; `ih` is the 2-bit code. */
  adaptHigh(ih: number): void {
    let nb = ((this.nb * 127) >> 7) + at(WH, at(RH2, ih));
    if (nb < 0) nb = 0;
    else if (nb > 22528) nb = 22528;
    this.nb = nb;
    this.det = scale(nb, 10);
  }

  /** Block 4 with quantized difference `d`. */
  update(dq: number): void {
    const { r, a, ap, p, d, b, bp, sg } = this;
    // RECONS, PARREC
    d[0] = dq;
    r[0] = saturate(this.s + dq);
    p[0] = saturate(this.sz + dq);
    // UPPOL2
    for (let i = 0; i < 3; i++) sg[i] = at(p, i) >> 15;
    const wd1 = saturate(at(a, 1) << 2);
    let wd2 = sg[0] === sg[1] ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (wd2 >> 7) + (sg[0] === sg[2] ? 128 : -128);
    wd3 += (at(a, 2) * 32512) >> 15;
    if (wd3 > 12288) wd3 = 12288;
    else if (wd3 < -12288) wd3 = -12288;
    ap[2] = wd3;
    // UPPOL1
    sg[0] = at(p, 0) >> 15;
    sg[1] = at(p, 1) >> 15;
    ap[1] = saturate((sg[0] === sg[1] ? 192 : -192) + ((at(a, 1) * 32640) >> 15));
    const lim = saturate(15360 - at(ap, 2));
    if (at(ap, 1) > lim) ap[1] = lim;
    else if (at(ap, 1) < -lim) ap[1] = -lim;
    // UPZERO
    const step = dq === 0 ? 0 : 128;
    sg[0] = dq >> 15;
    for (let i = 1; i < 7; i++) {
      sg[i] = at(d, i) >> 15;
      bp[i] = saturate((sg[i] === sg[0] ? step : -step) + ((at(b, i) * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = at(d, i - 1);
      b[i] = at(bp, i);
    }
    for (let i = 2; i > 0; i--) {
      r[i] = at(r, i - 1);
      p[i] = at(p, i - 1);
      a[i] = at(ap, i);
    }
    // FILTEP
    const r1 = saturate(at(r, 1) + at(r, 1));
    const r2 = saturate(at(r, 2) + at(r, 2));
    this.sp = saturate(((at(a, 1) * r1) >> 15) + ((at(a, 2) * r2) >> 15));
    // FILTEZ
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (at(b, i) * saturate(at(d, i) + at(d, i))) >> 15;
    this.sz = saturate(sz);
    // PREDIC
    this.s = saturate(this.sp + this.sz);
  }
}

/** SCALEL/SCALEH: det = ILB[(nb >> 6) & 31] shifted by (base - (nb >> 11)), times 4. */
function scale(nb: number, base: number): number {
  const wd1 = (nb >> 6) & 31;
  const shift = base - (nb >> 11);
  const v = shift < 0 ? at(ILB, wd1) << -shift : at(ILB, wd1) >> shift;
  return v << 2;
}
