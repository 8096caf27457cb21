export * from './dialog-state.ts';
export * from './dialog-create.ts';
export * from './dialog-request.ts';
