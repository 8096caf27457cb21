/**
 * Replay list (RFC 3711 s3.3.2): a sliding window of `size` indices ending at the highest
 * authenticated index. Older than the window -> 'too-old'; seen inside it -> 'replay'.
 *
 * Stored as a ring of the exact index that last occupied each slot (slot = index mod size):
 * inside the window a slot can only hold this index or one at least `size` older, so equality
 * is the membership test and advancing the window needs no clearing. Indices are 48-bit SRTP
 * or 31-bit SRTCP indices, exact in a double.
 *
 * check() and accept() are separate because an index may only enter the list after its packet
 * authenticated (s3.3 step 6), otherwise forged packets could poison it.
 */
export type ReplayVerdict = 'new' | 'replay' | 'too-old';

export class ReplayWindow {
  readonly size: number;
  private readonly slots: Float64Array;
  /** Highest accepted index, -1 before the first. */
  private top = -1;

  constructor(size: number) {
    this.size = size;
    this.slots = new Float64Array(size).fill(-1);
  }

  get highest(): number {
    return this.top;
  }

  check(index: number): ReplayVerdict {
    if (index > this.top) return 'new';
    if (this.top - index >= this.size) return 'too-old';
    return this.slots[index % this.size] === index ? 'replay' : 'new';
  }

  accept(index: number): void {
    this.slots[index % this.size] = index;
    if (index > this.top) this.top = index;
  }
}
