// Module load hook (runs on Node's loader thread): compile the interleaving points out of every
// module of packages/core/src. Registered after tsx, so tsx has already turned TS into JS.
import { stripInterleavingPoints } from './strip.mjs';

const CORE_SRC = new URL('../../../core/src/', import.meta.url).href;
const SPIN_PAUSE = new URL('./spin-pause.mjs', import.meta.url).href;

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.startsWith(CORE_SRC) || !url.endsWith('.ts') || result.format !== 'module') return result;
  const js = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  return { ...result, source: stripInterleavingPoints(js, url, SPIN_PAUSE) };
}
