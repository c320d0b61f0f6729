#!/usr/bin/env node
// Runs the CLI from a checkout: tsx compiles the TypeScript sources on the fly.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/agent-cli.ts');
await runCli(process.argv);
