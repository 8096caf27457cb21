/**
 * `gatehouse policy list | show NAME | explain --sdp FILE ...` (issue 3).
 *
 * Exit codes: explain -> 0 accept, 1 reject, 2 unusable input (unreadable file, SDP parse error
 * with its line number, unknown profile, bad --peer-ip). list/show -> 0, or 2 for an unknown
 * profile. Usage errors from commander are thrown as CommanderError (exitOverride) for the
 * caller (src/cli/program.ts runCli maps them to 2); nothing here calls process.exit.
 *
 * Output never contains key material: explain prints only the key-free explanation.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { SdpParseError, parseSdp } from '../../sdp/index.ts';
import { createCryptoPolicy, type CryptoPolicy } from '../../crypto-policy/policy.ts';
import { PolicyConfigError } from '../../crypto-policy/errors.ts';
import { explanationJson, explanationText } from '../../crypto-policy/explanation.ts';
import { mediaOffersFromSdp } from '../../crypto-policy/sdp-bridge.ts';
import { parseIp } from '../../crypto-policy/cidr.ts';
import type { PeerContext } from '../../crypto-policy/peer-overrides.ts';
import type { Rng } from '../../crypto-policy/sdes-select.ts';

export interface PolicyCliDeps {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  /** Leave with this exit code; runCli passes `(c) => { throw new CliExit(c) }`. */
  readonly exit: (code: number) => never;
  /** The configured policy (operator profiles + overrides); default: built-in profiles only. */
  readonly loadPolicy?: () => CryptoPolicy | Promise<CryptoPolicy>;
  /** Key generator for the (discarded) answer keys; default node:crypto. */
  readonly rng?: Rng;
}

export const POLICY_EXIT = { accept: 0, reject: 1, unusable: 2 } as const;

async function policyOf(deps: PolicyCliDeps): Promise<CryptoPolicy> {
  try {
    return deps.loadPolicy ? await deps.loadPolicy() : createCryptoPolicy();
  } catch (e) {
    if (e instanceof PolicyConfigError) {
      deps.err(`gatehouse policy: ${e.message}\n`);
      return deps.exit(POLICY_EXIT.unusable);
    }
    throw e;
  }
}

interface ExplainOptions {
  readonly sdp: string;
  readonly profile?: string;
  readonly peerIp?: string;
  readonly peerCertSubject?: string;
  readonly fromDomain?: string;
  readonly toDomain?: string;
  readonly json?: boolean;
}

export function registerPolicyCommands(program: Command, deps: PolicyCliDeps): Command {
  const policy = program.command('policy').description('inspect crypto-suite policy profiles and explain decisions for an SDP offer');
  policy.exitOverride();

  policy
    .command('list')
    .description('list the profiles (built-in and configured)')
    .option('--json', 'print JSON')
    .exitOverride()
    .action(async (opts: { json?: boolean }) => {
      const p = await policyOf(deps);
      const rows = p.profiles().map((pr) => ({ name: pr.name, mode: pr.mode, default: pr.name === p.defaultProfile, suites: pr.suites, description: pr.description }));
      if (opts.json) {
        deps.out(`${JSON.stringify(rows)}\n`);
        return;
      }
      const width = Math.max(...rows.map((r) => r.name.length), 4);
      for (const r of rows) {
        deps.out(`${r.name.padEnd(width)}  ${r.default ? '*' : ' '} ${r.mode.padEnd(7)}  ${r.suites.join(' > ')}\n${' '.repeat(width + 13)}${r.description}\n`);
      }
      deps.out(`(* = default profile; overrides configured: ${p.rules.length})\n`);
    });

  policy
    .command('show')
    .description('print one profile')
    .argument('<name>', 'profile name')
    .option('--json', 'print JSON')
    .exitOverride()
    .action(async (name: string, opts: { json?: boolean }) => {
      const p = await policyOf(deps);
      const found = p.findProfile(name);
      if (!found.ok) {
        deps.err(`gatehouse policy show: ${found.reason}\n`);
        return deps.exit(POLICY_EXIT.unusable);
      }
      deps.out(opts.json ? `${JSON.stringify(found.profile, null, 2)}\n` : stringify(found.profile));
    });

  policy
    .command('explain')
    .description('explain what the policy does with an SDP offer (exit 0 accept, 1 reject, 2 unusable input)')
    .requiredOption('--sdp <file>', 'file with the SDP offer')
    .option('--profile <name>', 'use this profile instead of the override rules / default')
    .option('--peer-ip <ip>', 'source address of the peer (for CIDR overrides)')
    .option('--peer-cert-subject <subject>', 'verified TLS client certificate subject (for overrides)')
    .option('--from-domain <domain>', 'SIP From domain (for overrides)')
    .option('--to-domain <domain>', 'SIP To domain (for overrides)')
    .option('--json', 'print one JSON object')
    .exitOverride()
    .action(async (opts: ExplainOptions) => {
      const p = await policyOf(deps);
      let text: string;
      try {
        text = await deps.readFile(opts.sdp);
      } catch (e) {
        deps.err(`gatehouse policy explain: cannot read ${opts.sdp}: ${e instanceof Error ? e.message : String(e)}\n`);
        return deps.exit(POLICY_EXIT.unusable);
      }
      if (opts.peerIp !== undefined && !parseIp(opts.peerIp).ok) {
        deps.err(`gatehouse policy explain: --peer-ip ${opts.peerIp} is not an IPv4 or IPv6 address\n`);
        return deps.exit(POLICY_EXIT.unusable);
      }
      if (opts.profile !== undefined) {
        const found = p.findProfile(opts.profile);
        if (!found.ok) {
          deps.err(`gatehouse policy explain: ${found.reason}\n`);
          return deps.exit(POLICY_EXIT.unusable);
        }
      }
      let media;
      try {
        media = mediaOffersFromSdp(parseSdp(text));
      } catch (e) {
        if (e instanceof SdpParseError) {
          deps.err(`gatehouse policy explain: ${opts.sdp}: ${e.line === undefined ? '' : `line ${e.line}: `}${e.reason}\n`);
          return deps.exit(POLICY_EXIT.unusable);
        }
        throw e;
      }
      const peer: PeerContext = {
        ...(opts.peerIp === undefined ? {} : { ip: opts.peerIp }),
        ...(opts.peerCertSubject === undefined ? {} : { certSubject: opts.peerCertSubject }),
        ...(opts.fromDomain === undefined ? {} : { fromDomain: opts.fromDomain }),
        ...(opts.toDomain === undefined ? {} : { toDomain: opts.toDomain }),
      };
      const n = p.negotiate(media, peer, { ...(opts.profile === undefined ? {} : { profile: opts.profile }), ...(deps.rng ? { rng: deps.rng } : {}) });
      deps.out(opts.json ? `${JSON.stringify(explanationJson(n))}\n` : explanationText(n));
      if (n.verdict === 'reject') return deps.exit(POLICY_EXIT.reject);
    });

  return policy;
}
