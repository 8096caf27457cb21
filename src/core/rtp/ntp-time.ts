/**
 * NTP timestamps for RTCP (RFC 3550 4): seconds since 1900-01-01 and a 32-bit binary fraction.
 * Wall time comes in as Unix milliseconds from the caller (pure core: no clock of its own).
 */

/** Seconds between 1900-01-01 (NTP era 0) and 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

export interface NtpTimestamp {
  readonly seconds: number;
  readonly fraction: number;
}

export function ntpFromUnixMs(unixMs: number): NtpTimestamp {
  const whole = Math.floor(unixMs / 1000);
  const frac = unixMs / 1000 - whole;
  // Modulo 2^32: era 1 starts in 2036 and the field simply wraps (RFC 4330 3).
  return { seconds: (whole + NTP_UNIX_OFFSET_SECONDS) >>> 0, fraction: Math.min(0xffffffff, Math.floor(frac * 0x1_0000_0000)) >>> 0 };
}

/** The middle 32 bits of an NTP timestamp, as carried in LSR (RFC 3550 6.4.1). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/** Milliseconds to the 1/65536 s units of DLSR (RFC 3550 6.4.1). */
export function msToDlsrUnits(ms: number): number {
  return Math.max(0, Math.min(0xffffffff, Math.round((ms * 65536) / 1000))) >>> 0;
}
