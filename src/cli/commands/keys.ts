import type { CommandModule } from 'yargs';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateCertificate } from '../../runtime/security/curveCertificates.js';

export const keysCommand: CommandModule<object, { dir: string; name: string[]; force?: boolean; authorize?: boolean }> = {
  command: 'keys generate',
  describe: 'Make CURVE key pairs for SECURE_ZMQ=1 (server.key / server.key_secret, client.key / client.key_secret)',
  builder: (y) =>
    y
      .option('dir', { type: 'string', default: process.env.ZMQ_CERTIFICATES_DIR ?? 'certificates', describe: 'Certificates folder' })
      .option('name', { type: 'string', array: true, default: ['server', 'client'], describe: 'Key pair names to create' })
      .option('authorize', { type: 'boolean', describe: 'Put the new public keys (other than "server") in authorized_clients/ too' })
      .option('force', { type: 'boolean', describe: 'Replace existing files' })
      .example('$0 keys generate --dir certificates', 'server and client pairs for a fresh installation')
      .example('$0 keys generate --name laptop --authorize', 'one more client allowed in'),
  handler: (argv) => {
    for (const name of argv.name) {
      const pair = generateCertificate(argv.dir, name, { force: argv.force });
      if (argv.authorize && name !== 'server' && name !== 'client') {
        authorizeClient(argv.dir, name, pair.publicKey);
      }
      process.stdout.write(`${join(argv.dir, name)}.key  public ${pair.publicKey}\n`);
    }
  },
};

function authorizeClient(dir: string, name: string, publicKey: string): void {
  // authorized_clients/<name>.key holds only the public half.
  const target = join(dir, 'authorized_clients');
  const text = `# ZeroMQ CURVE Public Certificate (authorised client)\nmetadata\ncurve\n    public-key = "${publicKey}"\n`;
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, `${name}.key`), text);
}
