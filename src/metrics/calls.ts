import { counter, gauge } from './registry.ts';

export const callsAnsweredTotal = counter('gatehouse_calls_answered_total', 'Calls answered into a room, by signalling transport', ['transport']);
export const callsRejectedTotal = counter('gatehouse_calls_rejected_total', 'Calls rejected, by SIP status and reason code', ['status', 'code']);
export const callsActive = gauge('gatehouse_calls_active', 'Calls currently in a room on this instance');
export const callsEndedTotal = counter('gatehouse_calls_ended_total', 'Calls ended, by cause', ['cause']);
/** Calls that joined a room whose media already runs on another live instance (RoomHomes). */
export const roomSplits = counter('gatehouse_room_split_calls_total', 'Calls admitted into a room that already runs on another instance (they do not hear each other)');
