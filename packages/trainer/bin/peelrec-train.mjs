#!/usr/bin/env node
// The trainer is TypeScript run through tsx (no build step); this registers tsx's loader, and the workspace
// packages' source condition (scripts/source-condition.mjs), and runs the CLI.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

registerHooks('../../../scripts/source-hooks.mjs', import.meta.url);
register();
await import('../src/cli.ts');
