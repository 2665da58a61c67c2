#!/usr/bin/env node
// Entry point: registers tsx so the TypeScript sources run as they are (no build step), then
// hands over to the CLI. NODE_LLAMA_CPP_SKIP_DOWNLOAD keeps node-llama-cpp from fetching builds.
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= 'true';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
