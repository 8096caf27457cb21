/**
 * Crypto-policy metrics. The policy core only returns labels (`Negotiation.metrics`,
 * `dtlsNegotiated(...).metric`); the adapter/app layer that ran the negotiation increments.
 * Labels are bounded: profile names come from config, suite from the suite table or `none`.
 */
import { counter } from './registry.ts';

export const srtpNegotiationsTotal = counter(
  'gatehouse_srtp_negotiations_total',
  'SRTP negotiations by profile, final suite, keying (sdes|dtls|none) and whether it was below the profile first choice',
  ['profile', 'suite', 'keying', 'downgraded'] as const,
);

export const policyRejectionsTotal = counter(
  'gatehouse_policy_rejections_total',
  'Offers refused by the crypto policy (SIP 488) by profile and stable error code',
  ['profile', 'code'] as const,
);
