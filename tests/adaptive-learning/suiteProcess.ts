// Runs AdaptiveLearningSuite in a process of its own so a test can SIGKILL it (a crash).
// argv: <dataDir> <config JSON> [peers JSON]. Prints {"endpoint": …} once ready.
import { startTestSuite } from '../helpers/suiteHarness.js';

async function main(): Promise<void> {
  const [dataDir, config, peers] = process.argv.slice(2);
  const s = await startTestSuite('AdaptiveLearningSuite', { dataDir, config: JSON.parse(config!), metrics: false, ...(peers ? { peers: JSON.parse(peers) } : {}) });
  process.stdout.write(JSON.stringify({ endpoint: s.endpoint }) + '\n');
  setInterval(() => {}, 1 << 30);
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
