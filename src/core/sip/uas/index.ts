export * from './via-received.ts';
export * from './merged-requests.ts';
export * from './session-timer.ts';
export * from './glare.ts';
export * from './validate-request.ts';
export * from './cancel.ts';
