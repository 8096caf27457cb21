/** Public surface of the SDES media plane (issue 6). */
export { MediaPortAllocator } from './port-allocator.ts';
export type { MediaPorts, PortAllocatorOptions, PortRange } from './port-allocator.ts';
export { SdesMediaLeg } from './media-leg.ts';
export type { LegCounters, SdesMediaLegOptions } from './media-leg.ts';
export { MediaRoom } from './media-room.ts';
export type { MediaRoomOptions, RoomMode } from './media-room.ts';
export { SourceLatch } from './source-latch.ts';
export type { LatchAdmit, LatchVerdict } from './source-latch.ts';
export { peerReceives, peerSends } from './media-types.ts';
export type { LatchingOptions, LegSink, MediaDirection, MediaEvent, PayloadFormat, RemoteEndpoint, RoomLeg } from './media-types.ts';
