#!/usr/bin/env node
// The `ptesim` bin (and `pnpm ptesim`): the CLI prebuilt to JavaScript and cached, keyed to the
// sources (packages/workers/src/build/bundle.mjs), so no call compiles TypeScript unless a source
// changed since the last one.
import { bundle, bundleUrl } from '../../workers/src/build/bundle.mjs';

await import(bundleUrl(await bundle('packages/stress/src/cli/main.ts')));
