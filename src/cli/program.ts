/**
 * The `gatehouse` command line (commander). Commands: start, check-config, and the command
 * groups registered by other modules (policy, keys, drain). Exit codes: see exit-codes.ts.
 */
import { Command, CommanderError } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, CONFIG_FILE_ENV, type LoadResult } from '../config/load.ts';
import { resolveSecrets } from '../config/secrets.ts';
import { loadCryptoPolicy } from '../config/crypto-policy-loader.ts';
import type { EffectiveConfig } from '../config/effective.ts';
import { readFile } from 'node:fs/promises';
import { registerPolicyCommands } from './policy-command.ts';
import { registerKeysCommands } from './keys-command.ts';
import { registerDrainCommand } from './drain-command.ts';
import { loadKeyring } from '../config/keyring-loader.ts';
import { openRedisStateStore } from '../adapters/state/redis-state-store.ts';
import { startGateway, StartupError } from '../main.ts';
import { EXIT } from './exit-codes.ts';
import { addStartFlags, flagValues } from './start-flags.ts';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly version: string;
}

/** Thrown inside actions to leave with a specific exit code after printing. */
export class CliExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('gatehouse')
    .description('Self-hosted SIP/WebRTC gateway: encrypted rooms for SIP room systems and browser guests')
    .version(io.version, '-V, --version')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .addHelpText(
      'after',
      `
Examples:
  gatehouse start                                   run on embedded defaults (loopback only)
  gatehouse start --config /etc/gatehouse/gatehouse.yaml
  gatehouse start --sip-udp 0.0.0.0:5060 --public-address 203.0.113.10 --media-ports 40000-40999
  gatehouse check-config /etc/gatehouse/gatehouse.yaml
  gatehouse policy list
  gatehouse drain 4242 --wait 60                    drain the gateway with PID 4242 (as SIGTERM)

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 startup failure.
Environment: every config key can be set as GATEHOUSE_<PATH>, e.g. GATEHOUSE_SIP_UDP_LISTEN;
GATEHOUSE_CONFIG names the config file.`,
    );

  addStartFlags(
    program
      .command('start')
      .description('start the gateway (embedded SIP engine, in-memory state unless configured)')
      .option('-c, --config <file>', `YAML config file (or env ${CONFIG_FILE_ENV})`),
  ).action(async (opts: Record<string, unknown>) => {
    const effective = effectiveConfig(io, opts.config as string | undefined, opts);
    let gw;
    try {
      gw = await startGateway(effective, { handleProcessSignals: true });
    } catch (err) {
      io.err(`gatehouse: cannot start: ${err instanceof StartupError ? err.message : String(err)}\n`);
      throw new CliExit(err instanceof StartupError ? EXIT.startup : EXIT.failure);
    }
    const code = await gw.stopped;
    throw new CliExit(code);
  });

  program
    .command('check-config')
    .description('validate a config file (plus GATEHOUSE_* env) and print the effective config, secrets redacted')
    .argument('[file]', `config file (default: env ${CONFIG_FILE_ENV} or built-in defaults)`)
    .action((file: string | undefined) => {
      const { config } = effectiveConfig(io, file, {});
      io.out(`# effective configuration (secrets are referenced by *_file/*_env and never printed)\n${stringify(config)}`);
    });

  registerPolicyCommands(program, {
    out: io.out,
    err: io.err,
    readFile: (f) => readFile(f, 'utf8'),
    exit: (code) => {
      throw new CliExit(code);
    },
    // operator profiles and overrides come from the same config `start` would use
    loadPolicy: () => effectiveConfig(io, undefined, {}).policy,
  });

  registerDrainCommand(program, {
    out: io.out,
    err: io.err,
    exit: (code) => {
      throw new CliExit(code);
    },
  });

  registerKeysCommands(program, {
    print: (line) => io.out(`${line}\n`),
    openRewrapper: async () => {
      const { config, secrets, keyring } = effectiveConfig(io, undefined, {});
      if (config.state.store !== 'redis' || config.state.url === undefined || keyring === null) {
        io.err('gatehouse keys rotate: needs state.store: redis with state.url and state.kek (in-memory state keeps nothing at rest)\n');
        throw new CliExit(EXIT.usage);
      }
      const password = secrets.get('state.password');
      return openRedisStateStore({
        url: config.state.url,
        keyring,
        ...(config.state.username === undefined ? {} : { username: config.state.username }),
        ...(password === undefined ? {} : { password }),
        clientName: 'gatehouse-keys-rotate',
      });
    },
  });

  return program;
}

/** Loads and checks everything configurable, or prints every problem and exits 2. */
export function effectiveConfig(io: CliIo, file: string | undefined, opts: Record<string, unknown>): EffectiveConfig {
  const flags = flagValues(opts);
  const result: LoadResult = loadConfig({ file: file ?? io.env[CONFIG_FILE_ENV], env: io.env, flags: flags.map });
  const problems = [...flags.problems, ...(result.ok ? [] : result.problems)];
  if (result.ok && problems.length === 0) {
    const secrets = resolveSecrets(result.config, { env: io.env });
    const policy = loadCryptoPolicy(result.config);
    const keyring = secrets.ok ? loadKeyring(result.config, secrets.secrets) : null;
    if (secrets.ok && policy.ok && keyring?.ok) {
      return { config: result.config, secrets: secrets.secrets, policy: policy.policy, keyring: keyring.keyring };
    }
    if (!secrets.ok) problems.push(...secrets.problems);
    if (!policy.ok) problems.push(...policy.problems);
    if (keyring && !keyring.ok) problems.push(...keyring.problems);
  }
  io.err(`gatehouse: configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}\n`).join('')}`);
  throw new CliExit(EXIT.usage);
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function runCli(argv: readonly string[], io: CliIo, register: ReadonlyArray<(program: Command) => void> = []): Promise<number> {
  const program = buildProgram(io);
  for (const r of register) r(program);
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CliExit) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.err(`gatehouse: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failure;
  }
}
