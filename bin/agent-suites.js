#!/usr/bin/env node
// Entry point. Runs the JavaScript build in dist/ when it is current (scripts/build.mjs, run by
// `npm ci` and `npm start`), else the TypeScript sources through tsx, which costs ~0.3 s more per
// process. AGENT_SUITES_FROM_SOURCES=1 forces the sources. NODE_LLAMA_CPP_SKIP_DOWNLOAD keeps
// node-llama-cpp from fetching builds.
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from '../scripts/buildState.mjs';

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= 'true';
const root = fileURLToPath(new URL('..', import.meta.url)); // not .pathname: that keeps %20 for a space
// An extra suite written in TypeScript (AGENT_SUITES_EXTRA_SUITES; the tests' example suite) imports
// the sources' runtime modules: the process runs from the sources too, so there is one copy of each.
const extraTs = (process.env.AGENT_SUITES_EXTRA_SUITES ?? '').split(',').some((p) => p.trim().endsWith('.ts'));
const fromBuild = process.env.AGENT_SUITES_FROM_SOURCES !== '1' && !extraTs && buildIsCurrent(root);
if (!fromBuild) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import(fromBuild ? '../dist/src/cli/main.js' : '../src/cli/main.ts');
await main(process.argv);
