export type { AgentResult, AgentTask } from './agent.ts';
export { abortRun, barrierWait, RunAborted } from './barrier.ts';
export { runSteps } from './driver.ts';
export { type Progress, type RealRunOptions, type RealRunResult, runReal } from './executor.ts';
