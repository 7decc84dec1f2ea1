import pkg from '../package.json' with { type: 'json' };

/** ptesim's version, from packages/stress/package.json (reports and replay files carry it). */
export const VERSION: string = pkg.version;
