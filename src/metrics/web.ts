/**
 * Guest join page metrics (src/adapters/http/join-server.ts). Labels are closed sets: the
 * route kind, never the room id or the request path (rooms would explode cardinality and
 * name meetings).
 */
import { counter, gauge } from './registry.ts';

export const webRequestsTotal = counter(
  'gatehouse_web_requests_total',
  'HTTPS join server requests by route (join, asset, not_found, method) and status.',
  ['route', 'status'],
);

export const webDevCertificate = gauge(
  'gatehouse_web_dev_certificate',
  '1 while the join page is served with a generated self-signed development certificate.',
);
