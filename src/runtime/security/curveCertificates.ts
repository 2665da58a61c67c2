import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';

/**
 * CURVE key files in the layout the legacy secure_zmq code used (infrastructure.md §1.9):
 * `<dir>/<name>.key` holds the public key, `<dir>/<name>.key_secret` the public and secret key,
 * both in ZeroMQ's certificate text format (Z85 strings under `curve`). Authorised client public
 * keys are `*.key` files in `<dir>/authorized_clients/` plus `<dir>/client.key`.
 */
export interface CurveKeyPair {
  publicKey: string;
  secretKey?: string;
}

function certificateText(kind: 'Public' | 'Secret', pair: { publicKey: string; secretKey?: string }): string {
  const lines = [
    `#   ****  Generated on ${new Date().toISOString()} by agent-suites  ****`,
    `#   ZeroMQ CURVE ${kind} Certificate`,
    '#   Exchange securely, or use a secure mechanism to verify the contents',
    '#   of this file after exchange. Store public certificates in your home',
    '#   directory, in the .curve subdirectory.',
    '',
    'metadata',
    'curve',
    `    public-key = "${pair.publicKey}"`,
  ];
  if (kind === 'Secret') lines.push(`    secret-key = "${pair.secretKey}"`);
  return lines.join('\n') + '\n';
}

/** Writes `<name>.key` and `<name>.key_secret` (mode 600) and returns the new pair. Refuses to overwrite. */
export function generateCertificate(dir: string, name: string, opts: { force?: boolean } = {}): Required<CurveKeyPair> {
  mkdirSync(dir, { recursive: true });
  const pub = join(dir, `${name}.key`);
  const sec = join(dir, `${name}.key_secret`);
  if (!opts.force && (existsSync(pub) || existsSync(sec))) throw new Error(`${pub} already exists (use --force to replace it)`);
  const pair = curveKeyPair();
  writeFileSync(pub, certificateText('Public', pair));
  writeFileSync(sec, certificateText('Secret', pair), { mode: 0o600 });
  chmodSync(sec, 0o600);
  return pair;
}

/** Reads a `.key` or `.key_secret` file. */
export function readCertificate(file: string): CurveKeyPair {
  const text = readFileSync(file, 'utf8');
  const pub = /public-key\s*=\s*"([^"]{40})"/.exec(text)?.[1];
  const sec = /secret-key\s*=\s*"([^"]{40})"/.exec(text)?.[1];
  if (!pub) throw new Error(`${file} has no public-key`);
  return { publicKey: pub, secretKey: sec };
}

/** Server key pair plus the set of client public keys allowed in. */
export function loadServerCurve(dir: string): { server: Required<CurveKeyPair>; authorized: Set<string> } {
  const server = readCertificate(join(dir, 'server.key_secret'));
  if (!server.secretKey) throw new Error(`${join(dir, 'server.key_secret')} has no secret-key`);
  const authorized = new Set<string>();
  const client = join(dir, 'client.key');
  if (existsSync(client)) authorized.add(readCertificate(client).publicKey);
  const extra = join(dir, 'authorized_clients');
  if (existsSync(extra)) {
    for (const f of readdirSync(extra)) if (f.endsWith('.key')) authorized.add(readCertificate(join(extra, f)).publicKey);
  }
  return { server: server as Required<CurveKeyPair>, authorized };
}

/** Client key pair plus the server's public key, for ZmqClient's `curve` option. */
export function loadClientCurve(dir: string): { publicKey: string; secretKey: string; serverKey: string } {
  const client = readCertificate(join(dir, 'client.key_secret'));
  if (!client.secretKey) throw new Error(`${join(dir, 'client.key_secret')} has no secret-key`);
  return { publicKey: client.publicKey, secretKey: client.secretKey, serverKey: readCertificate(join(dir, 'server.key')).publicKey };
}

/** SECURE_ZMQ=1 turns CURVE on; ZMQ_CERTIFICATES_DIR (default ./certificates) holds the keys. */
export function secureZmqFromEnv(env: NodeJS.ProcessEnv = process.env): { enabled: boolean; dir: string } {
  return { enabled: /^(1|true|yes|on)$/i.test(env.SECURE_ZMQ ?? ''), dir: env.ZMQ_CERTIFICATES_DIR ?? 'certificates' };
}
