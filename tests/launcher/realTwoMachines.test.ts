import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { deleteRedisPrefix, TEST_REDIS_URL } from '../helpers/suiteHarness.js';
import { requestOnce } from '../../src/transport/ZmqClient.js';
import { type RunningLauncher, ROOT, pickPortOffset, runCli, startLauncher, waitFor } from './launcherProcess.js';

// The shipped pc2.yaml and mainpc.yaml, unchanged, as two machines on one box: PC2 on 127.0.0.2,
// MainPC on 127.0.0.1, both with the same PORT_OFFSET. MainPC starts first and waits for MemoryHub
// on the PC2 address before starting its suites; AdaptiveLearningSuite then reads MemoryHub's
// stored conversation turns across the two addresses.
const PC2 = '127.0.0.2';
const MAIN = '127.0.0.1';

test('shipped pc2.yaml + mainpc.yaml on 127.0.0.2 / 127.0.0.1: MainPC waits for MemoryHub on PC2; AdaptiveLearningSuite calls it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'as-real2m-'));
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const offset = await pickPortOffset([
    ...[7010, 7110, 9010, 7150, 7151].map((port) => ({ host: PC2, port })),
    ...[7011, 7111, 9011, 7012, 7112, 9012].map((port) => ({ host: MAIN, port })),
  ]);
  const common = {
    PORT_OFFSET: String(offset), PC2_IP: PC2, MAINPC_IP: MAIN, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, SDT_REGISTRATION: '0',
  };
  const mainFile = path.join(ROOT, 'startup_config/mainpc.yaml');
  let main: RunningLauncher | undefined;
  let pc2: RunningLauncher | undefined;
  try {
    // PC2 first, MainPC right behind it: MainPC's suites wait (up to the file's 30 s) for MemoryHub.
    pc2 = startLauncher(path.join(ROOT, 'startup_config/pc2.yaml'), { ...common, BIND_ADDRESS: PC2, DATA_DIR: path.join(dir, 'pc2') });
    const q = pc2;
    main = startLauncher(mainFile, { ...common, BIND_ADDRESS: MAIN, DATA_DIR: path.join(dir, 'mainpc') });
    const m = main;
    await waitFor('PC2 up', () => /suites healthy after/.test(q.stdout()), 75_000, 200);
    assert.match(q.stdout(), new RegExp(`MemoryHub\\s+healthy\\s+pid \\d+\\s+main tcp://127\\.0\\.0\\.2:${7010 + offset}`));
    await waitFor('MainPC up', () => /suites healthy after/.test(m.stdout()), 75_000, 200);
    assert.match(m.stdout(), /2\/2 suites healthy/, m.stdout() + m.stderr());
    // Both MainPC suites found MemoryHub before starting (no "started without" note).
    for (const s of m.state()!.suites) assert.is(s.reason, null, `${s.name}: ${s.reason}`);

    // From the MainPC side, MemoryHub answers on the PC2 address; nothing listens for it on MainPC's.
    const ping = await requestOnce(`tcp://${PC2}:${7010 + offset}`, { action: 'ping' }, { timeoutMs: 5000 });
    assert.ok(ping.status, JSON.stringify(ping));
    assert.not.ok(await requestOnce(`tcp://${MAIN}:${7010 + offset}`, { action: 'ping' }, { timeoutMs: 300 }).catch(() => undefined));

    // A MainPC suite calling MemoryHub on PC2: AdaptiveLearningSuite's opportunities.import_memory
    // reads the conversation turns stored in MemoryHub through its peer endpoint (127.0.0.2).
    const hub = (req: Record<string, unknown>) => requestOnce(`tcp://${PC2}:${7010 + offset}`, req, { timeoutMs: 5000 });
    const created = await hub({ action: 'create_session', target_agent: 'SessionMemoryAgent', user_id: 'launcher-test', session_type: 'conversation' });
    assert.is(created.status, 'success', JSON.stringify(created));
    for (const [role, content] of [['user', 'What is the capital of Australia?'], ['assistant', 'It is Sydney.'],
      ['user', "No, that's wrong, it's actually Canberra."], ['assistant', 'You are right, it is Canberra.']]) {
      const r = await hub({ action: 'add_interaction', target_agent: 'SessionMemoryAgent', session_id: created.session_id, role, content });
      assert.is(r.status, 'success', JSON.stringify(r));
    }
    const imported = await requestOnce(`tcp://${MAIN}:${7012 + offset}`, { action: 'opportunities.import_memory' }, { timeoutMs: 20_000 });
    assert.is(imported.status, 'success', JSON.stringify(imported));
    assert.ok(imported.turns >= 4, JSON.stringify(imported));
    assert.ok(imported.exchanges >= 2, JSON.stringify(imported));

    // `health --config mainpc.yaml` covers the two local suites and the remote MemoryHub.
    const h = await runCli(['health', '--config', mainFile], common);
    assert.is(h.code, 0, h.stdout + h.stderr);
    assert.match(h.stdout, new RegExp(`MemoryHub\\s+remote\\s+tcp://127\\.0\\.0\\.2:${7110 + offset}\\s+ok`));
    assert.match(h.stdout, new RegExp(`ModelManagerSuite\\s+MainPC\\s+tcp://127\\.0\\.0\\.1:${7111 + offset}\\s+ok`));

    assert.is(await m.stop(30_000), 0);
    assert.is(await q.stop(30_000), 0);
  } finally {
    main?.kill();
    pc2?.kill();
    await deleteRedisPrefix(TEST_REDIS_URL, prefix).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
