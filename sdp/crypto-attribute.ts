/**
 * Plain-data model of one SDES `a=crypto` line (RFC 4568 section 9.1). Shared contract between
 * the SDP parser (which produces it) and the crypto policy (which selects from it).
 *
 *   a=crypto:<tag> <crypto-suite> <key-params> [<session-param>]*
 *   key-param = "inline:" key||salt(base64) ["|" lifetime] ["|" MKI ":" length]
 */
export interface CryptoKeyParam {
  readonly method: 'inline';
  /** Decoded master key followed by master salt (RFC 4568 6.1). */
  readonly keySalt: Uint8Array;
  /** Master key lifetime in packets (RFC 4568 6.1: "2^n" or decimal); undefined = suite maximum. */
  readonly lifetime?: bigint;
  /** MKI value and its length in bytes (RFC 4568 6.1, 1..128). */
  readonly mki?: { readonly value: bigint; readonly length: number };
}

export type CryptoSessionParam =
  | { readonly kind: 'UNENCRYPTED_SRTP' }
  | { readonly kind: 'UNENCRYPTED_SRTCP' }
  | { readonly kind: 'UNAUTHENTICATED_SRTP' }
  | { readonly kind: 'KDR'; readonly value: number } // RFC 4568 6.3.1: 0..24, 2^n
  | { readonly kind: 'FEC_ORDER'; readonly value: 'FEC_SRTP' | 'SRTP_FEC' }
  | { readonly kind: 'FEC_KEY'; readonly keyParams: readonly CryptoKeyParam[] }
  | { readonly kind: 'WSH'; readonly value: number } // RFC 4568 6.3.6: window size hint >= 64
  | { readonly kind: 'unknown'; readonly text: string };

export interface CryptoAttribute {
  /** 1..999999999 (RFC 4568 9.1); the answer echoes the accepted line's tag. */
  readonly tag: number;
  /** Suite name exactly as offered (case preserved); the policy resolves aliases. */
  readonly suite: string;
  readonly keyParams: readonly CryptoKeyParam[];
  readonly sessionParams: readonly CryptoSessionParam[];
}
