// Preloaded (`node --import`) into every suite process the launcher spawns. Suites run in their
// own process groups, so nothing else would stop them if the launcher died without cleaning up
// (SIGKILL, OOM): when this process is re-parented it sends itself SIGTERM, which `serve` turns
// into a normal graceful shutdown. Plain JavaScript because it runs before tsx is registered.
const launcher = Number(process.env.AGENT_SUITES_LAUNCHER_PID);
if (launcher && process.ppid === launcher) {
  const timer = setInterval(() => {
    if (process.ppid !== launcher) {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 500);
  timer.unref();
}
