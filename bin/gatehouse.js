#!/usr/bin/env node
// Entry point: check the Node version in plain JavaScript first (bin/require-node.js), then run
// the TypeScript CLI with Node's built-in type stripping (no build step).
await import('./require-node.js');
await import('../src/cli/main.ts');
