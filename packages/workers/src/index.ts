export type { AgentResult, AgentTask, AgentTime } from './agent.ts';
export { abortRun, barrierWait, RunAborted } from './barrier.ts';
export { bundle, REPO_ROOT, sourceKey } from './build/bundle.mjs';
export { RunControl } from './control.ts';
export { leftoverGenerators } from './direct/verify.ts';
export { drive, runSteps } from './driver.ts';
export {
  type HangReport,
  hangThreshold,
  type Progress,
  type RealRunOptions,
  type RealRunResult,
  type RunSample,
  type RunTuning,
  resolveRealSpec,
  runReal,
  SPINS_FIT,
  SPINS_OVERSUBSCRIBED,
  spinBudget,
} from './executor.ts';
export { runInWorker } from './in-worker.ts';
export { INJECT_EPISODE, INJECTIONS, type InjectKind } from './inject.ts';
