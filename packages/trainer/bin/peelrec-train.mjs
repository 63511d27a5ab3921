#!/usr/bin/env node
// The trainer is TypeScript run through tsx (no build step); this registers tsx's loader and runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
