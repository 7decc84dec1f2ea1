import { readFileSync } from 'node:fs';

/** ptesim's version, from packages/stress/package.json (reports and replay files carry it). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
