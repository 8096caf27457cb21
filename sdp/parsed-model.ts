import type { CryptoLine } from './crypto.ts';
import type { Fingerprint } from './dtls.ts';
import type { Connection, MediaLine, MediaSection, Origin, SdpLine, SdpSection, SessionDescription } from './model.ts';

/**
 * The objects parseSdp returns: the plain-data model of sdp/model.ts plus a private memo for
 * typed views that several consumers derive from the same offer (the crypto policy and the
 * offer/answer engine both read every a=crypto line, the c= lines, the dual m-line pairs).
 *
 * Why a private field and not a WeakMap keyed by the section: a WeakMap entry per short-lived
 * parsed offer costs ~1.5 us of garbage-collector work (ephemerons), more than most views cost
 * to compute. A `#private` field is invisible to equality checks, JSON and spreads, so the data
 * stays exactly the model's. Sections built by hand (tests) have no memo: views are computed
 * each time. The memo assumes the lines are not changed after parsing, which the readonly model
 * types already promise.
 */

export interface SectionMemo {
  cryptoLines?: readonly CryptoLine[];
}

export interface DescriptionMemo {
  dualPairs?: ReadonlyMap<number, number>;
  /** a=fingerprint per m= index (media-level, else session-level), for the policy and negotiate. */
  fingerprints?: (readonly Fingerprint[] | undefined)[];
}

export class ParsedSection implements SdpSection {
  readonly lines: readonly SdpLine[];
  #memo: SectionMemo | undefined = undefined;
  /** The section's first c= line (frozen), which parseSdp parses to validate it; null when none. */
  readonly #connection: Connection | null;

  constructor(lines: readonly SdpLine[], connection: Connection | null) {
    this.lines = lines;
    this.#connection = connection;
  }

  /** The first c= of a section made by parseSdp (null: none); undefined for any other object. */
  static connection(section: SdpSection): Connection | null | undefined {
    if (!(#connection in section)) return undefined;
    return section.#connection;
  }

  /** The memo of a section made by parseSdp; undefined for any other object. */
  static memo(section: SdpSection): SectionMemo | undefined {
    if (!(#memo in section)) return undefined;
    return (section.#memo ??= {});
  }
}

export class ParsedMediaSection extends ParsedSection implements MediaSection {
  readonly index: number;
  readonly mLine: MediaLine;

  constructor(index: number, mLine: MediaLine, lines: readonly SdpLine[], connection: Connection | null) {
    super(lines, connection);
    this.index = index;
    this.mLine = mLine;
  }
}

export class ParsedDescription implements SessionDescription {
  readonly session: SdpSection;
  readonly media: readonly MediaSection[];
  readonly origin: Origin;
  #memo: DescriptionMemo | undefined = undefined;

  constructor(session: SdpSection, media: readonly MediaSection[], origin: Origin) {
    this.session = session;
    this.media = media;
    this.origin = origin;
  }

  /** The memo of a description made by parseSdp; undefined for any other object. */
  static memo(sdp: SessionDescription): DescriptionMemo | undefined {
    if (!(#memo in sdp)) return undefined;
    return (sdp.#memo ??= {});
  }
}
