// Worker entry: Node 20 does not apply tsx's loader hooks to a worker's entry module, so register
// them here, inside the worker, then load the TypeScript agent (DESIGN.md §8).
import { register } from 'tsx/esm/api';

register();
const { default: runAgent } = await import('./agent.ts');
export default runAgent;
