#!/usr/bin/env node
// The `ptesim` bin of packages/stress: load tsx's hooks, then the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
