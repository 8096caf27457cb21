/**
 * SIP signalling metrics (embedded engine, src/adapters/sip-net). Labels are small closed sets
 * (transport names, drop reasons, status classes); never addresses, URIs or Call-IDs.
 */
import { counter, gauge, histogram } from './registry.ts';

export const sipMessagesReceived = counter(
  'gatehouse_sip_messages_received_total',
  'SIP messages received, by transport and kind (request/response/keepalive).',
  ['transport', 'kind'],
);

export const sipMessagesSent = counter('gatehouse_sip_messages_sent_total', 'SIP messages sent, by transport.', ['transport']);

export const sipMessagesDropped = counter(
  'gatehouse_sip_messages_dropped_total',
  'SIP messages dropped or refused, by transport and reason (too_large, parse_error, rate_limited, ...).',
  ['transport', 'reason'],
);

export const sipBadRequests = counter(
  'gatehouse_sip_bad_requests_total',
  'Malformed requests answered with 400/513, by transport and reason.',
  ['transport', 'reason'],
);

export const sipRateLimited = counter(
  'gatehouse_sip_rate_limited_total',
  'Requests over the per-source rate, by action (reject = 503 with Retry-After, drop = silent).',
  ['action'],
);

export const sipConnectionsOpen = gauge('gatehouse_sip_connections_open', 'Open SIP stream connections, by transport.', ['transport']);

export const sipConnectionsRejected = counter(
  'gatehouse_sip_connections_rejected_total',
  'SIP connections refused at accept, by transport and reason (per_ip_connection_limit, connection_limit, no_sip_subprotocol).',
  ['transport', 'reason'],
);

export const sipConnectionsClosed = counter(
  'gatehouse_sip_connections_closed_total',
  'SIP connections closed, by transport and reason (idle_timeout, incomplete_timeout, too_large, peer_closed, ...).',
  ['transport', 'reason'],
);

export const sipUdpSizeUpgrades = counter(
  'gatehouse_sip_udp_size_upgrades_total',
  'Requests sent over TCP instead of UDP because of their size (RFC 3261 section 18.1.1).',
);

export const sipTransactionsTimedOut = counter(
  'gatehouse_sip_transactions_timed_out_total',
  'SIP transactions ended by a timeout timer, by kind (client/server).',
  ['kind'],
);

export const sipResponsesSent = counter('gatehouse_sip_responses_sent_total', 'Final SIP responses sent, by status class (2xx..6xx).', ['class']);

export const sipInviteLatency = histogram(
  'gatehouse_sip_invite_answer_seconds',
  'Time from receiving an INVITE to sending its final response.',
  [],
  [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
);
