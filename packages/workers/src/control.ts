/**
 * The control plane of a real run, over comlink: what the coordinator asks of running agents that
 * is not per step — a stats snapshot (the live progress line, the run's timeline), a request to
 * stop at the next episode boundary, and, after a violation, each agent's event ring for the
 * report (agents linger after the run until the coordinator has it, or LINGER_MS). Never on the
 * race path: an agent answers only between episodes, when it gives its event loop a turn (at most
 * every TURN_MS), or while it lingers.
 *
 * A comlink call pending on a dead worker is never settled (DESIGN.md §8), so every call here is
 * raced against the agent's end — its piscina task settling, which is how a worker's exit or error
 * reaches us — and a timeout: an agent that is stuck in a spin cannot answer, and the watchdog, not
 * the control plane, reports it (from the shared memory it can read without the agent's help).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { addCounters, type Counters, newCounters } from '@ptesim/core';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

/** What one agent answers. */
export interface AgentControl {
  /** Its counters so far (a copy). */
  stats(): Counters;
  /** Ask the run to stop at the next episode boundary. */
  stop(): void;
  /** Its event ring (the checker's recent events), oldest first, in words. */
  events(): string[];
  /** The coordinator has what it wanted: stop lingering. */
  release(): void;
}

/** The part of AgentControl an agent implements; release() is the control plane's own. */
export type AgentApi = Omit<AgentControl, 'release'>;

/** How often, at most, an agent lets its event loop take control messages (between episodes). */
const TURN_MS = 20;
/** How long an agent waits, after a run with a violation, for the coordinator to take its events. */
export const LINGER_MS = 1000;

/**
 * Agent side: serve `api` on `port`. `turn()` is awaited between episodes; `linger()` at the end
 * of a run whose report will want the agents' event rings.
 */
export function serveControl(
  port: MessagePort,
  api: AgentApi,
): { turn(): Promise<void> | undefined; linger(): Promise<void> } {
  let released: () => void = () => {};
  const release = new Promise<void>((resolve) => {
    released = resolve;
  });
  Comlink.expose({ ...api, release: () => released() } satisfies AgentControl, nodeEndpoint(port));
  let last = performance.now();
  return {
    turn() {
      const now = performance.now();
      if (now - last < TURN_MS) return undefined;
      last = now;
      return new Promise((resolve) => setImmediate(resolve));
    },
    linger() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, LINGER_MS);
      });
      return Promise.race([release, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

class AgentGone extends Error {}

/** Coordinator side: one comlink proxy per agent, each watched for its agent's end. */
export class RunControl {
  private readonly proxies: Comlink.Remote<AgentControl>[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly gone: Promise<never>[] = [];
  private readonly ends: (() => void)[] = [];

  /** The ports to hand to the agents (transferred with their tasks), in agent order. */
  readonly agentPorts: MessagePort[] = [];

  constructor(agents: number) {
    for (let a = 0; a < agents; a++) {
      const { port1, port2 } = new MessageChannel();
      this.ports.push(port1);
      this.agentPorts.push(port2);
      this.proxies.push(Comlink.wrap<AgentControl>(nodeEndpoint(port1)));
      let end!: () => void;
      const gone = new Promise<never>((_, reject) => {
        end = () => reject(new AgentGone(`agent ${a} has ended`));
      });
      gone.catch(() => {}); // observed by the races below
      this.gone.push(gone);
      this.ends.push(end);
    }
  }

  /** The agent's task settled (it returned, threw, or its worker died): its calls fail from now on. */
  ended(agent: number): void {
    this.ends[agent]();
  }

  /** The counters of every agent that answered within `timeoutMs`, summed; undefined if none did. */
  async snapshot(timeoutMs = 500): Promise<{ totals: Counters; answered: number } | undefined> {
    const answers = await Promise.all(this.proxies.map((p, a) => this.call(a, () => p.stats(), timeoutMs)));
    const got = answers.filter((c): c is Counters => c !== undefined);
    if (got.length === 0) return undefined;
    const totals = newCounters();
    for (const c of got) addCounters(totals, c);
    return { totals, answered: got.length };
  }

  /**
   * Every agent's event ring (undefined for one that did not answer within `timeoutMs`), then
   * release them: they linger for this after a run with a violation.
   */
  async eventRings(timeoutMs = LINGER_MS): Promise<(string[] | undefined)[]> {
    const rings = await Promise.all(this.proxies.map((p, a) => this.call(a, () => p.events(), timeoutMs)));
    await Promise.all(this.proxies.map((p, a) => this.call(a, () => p.release(), 200)));
    return rings;
  }

  /** Ask for a stop through the first agent that answers; false if none did within `timeoutMs`. */
  async stop(timeoutMs = 500): Promise<boolean> {
    for (let a = 0; a < this.proxies.length; a++)
      if ((await this.call(a, () => this.proxies[a].stop().then(() => true), timeoutMs)) === true) return true;
    return false;
  }

  close(): void {
    for (const p of this.proxies) p[Comlink.releaseProxy]();
    for (const p of this.ports) p.close();
  }

  private async call<T>(agent: number, f: () => Promise<T>, timeoutMs: number): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([f(), this.gone[agent], timeout]);
    } catch (e) {
      if (e instanceof AgentGone) return undefined;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}
