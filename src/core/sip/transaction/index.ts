export * from './types.ts';
export * from './invite-client.ts';
export * from './invite-server.ts';
export * from './non-invite-client.ts';
export * from './non-invite-server.ts';
export * from './uas-2xx-retransmit.ts';
export * from './matcher.ts';
