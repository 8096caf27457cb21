import { counter, gauge } from './registry.ts';

export const adminRequestsTotal = counter('gatehouse_admin_requests_total', 'Admin HTTP requests by path and status', ['path', 'status']);
export const readinessGauge = gauge('gatehouse_ready', '1 when the gateway accepts new calls, 0 while starting or draining');
