#!/usr/bin/env node
// Entry point. Gatehouse runs its TypeScript sources directly with Node's built-in type
// stripping (Node >= 22.18 / 24 LTS), so there is no build step; check the version first so an
// old Node gets a clear message instead of a syntax error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`gatehouse needs Node.js >= 22.18 (24 LTS recommended); this is ${process.version}\n`);
  process.exit(2);
}
await import('../src/cli/main.ts');
