/**
 * Runs before `npm test`: the integration tests drive real peers (SIPp, baresip, redis-server,
 * libsrtp2). If any is missing, say exactly what to install, once, instead of a wall of
 * per-test failures. (Each integration test still fails loudly on its own if run directly.)
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TOOLS: ReadonlyArray<{ readonly what: string; readonly found: () => boolean; readonly pkg: string }> = [
  { what: 'sipp', found: () => onPath('sipp'), pkg: 'sip-tester' },
  { what: 'baresip', found: () => onPath('baresip'), pkg: 'baresip-core' },
  { what: 'redis-server', found: () => onPath('redis-server'), pkg: 'redis-server' },
  { what: 'openssl', found: () => onPath('openssl'), pkg: 'openssl' },
  { what: 'cc', found: () => onPath('cc'), pkg: 'build-essential' },
  { what: 'linphonec', found: () => onPath('linphonec'), pkg: 'linphone-cli' },
  { what: 'tshark', found: () => onPath('tshark'), pkg: 'tshark' },
  { what: 'ip (netns)', found: () => onPath('ip'), pkg: 'iproute2' },
  { what: 'chromium', found: () => existsSync('/usr/bin/chromium'), pkg: 'chromium' },
  { what: 'libsrtp2 headers', found: () => existsSync('/usr/include/srtp2/srtp.h'), pkg: 'libsrtp2-dev' },
];

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = TOOLS.filter((t) => !t.found());
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`Node.js >= 22.18 is required (24 LTS recommended); this is ${process.version}. See README "Prerequisites".`);
  process.exit(1);
}
const unbuilt = ['srtp-crypto.node', 'media-udp.node'].filter((f) => !existsSync(new URL(`../dist/native/${f}`, import.meta.url)));
if (missing.length === 0 && unbuilt.length > 0) {
  console.error(`The native engines are not built (dist/native/${unbuilt.join(', dist/native/')}); their tests and the gateway processes the tests start need them.\nBuild them with:\n  npm run build:native`);
  process.exit(1);
}
if (missing.length > 0) {
  console.error(
    `The integration tests need tools that are not installed: ${missing.map((m) => m.what).join(', ')}.\n` +
      `Install them with:\n  sudo apt-get install -y ${[...new Set(missing.map((m) => m.pkg))].join(' ')}\n` +
      `(.ci/run installs everything in .ci/debian-packages.txt; \`npm run test:unit\` runs only the unit tests.)`,
  );
  process.exit(1);
}
