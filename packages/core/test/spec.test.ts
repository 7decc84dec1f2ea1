/** One place for a run's defaults and checks: resolveRunSpec. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_AIM, defaultBackends, findScenario, fitAgents, NO_AIM, resolveRunSpec } from '../src/index.ts';

describe('resolveRunSpec', () => {
  it('a bug brings its scenario and contract; a scenario its configuration and budget, per executor', () => {
    const s = resolveRunSpec({ backend: 'xen', bug: 'xen-preempt-nesting', seed: 4 }, 'model');
    const lazy = findScenario('lazy-ctxsw')!;
    expect(s).toEqual({
      scenario: 'lazy-ctxsw',
      backend: 'xen',
      bug: 'xen-preempt-nesting',
      contract: 2025,
      lockdep: true,
      hw: 'x86',
      config: lazy.modelDefaults,
      budget: lazy.modelBudget,
      seed: 4,
      aim: NO_AIM,
    });
    const real = resolveRunSpec({ backend: 'native', config: { pages: 3 }, lockdep: false, seed: 1 }, 'real');
    const mp = findScenario('mprotect-dirty')!;
    expect(real).toMatchObject({
      scenario: 'mprotect-dirty',
      contract: 2007,
      lockdep: false,
      budget: mp.defaultBudget,
    });
    expect(real.config).toEqual({ ...mp.defaults, pages: 3 });
  });

  it('a hardware erratum bug brings its hardware, and refuses another', () => {
    expect(resolveRunSpec({ backend: 'native', bug: 'knl4-no-none-mask', seed: 1 }, 'real').hw).toBe('knl4');
    expect(() => resolveRunSpec({ backend: 'native', bug: 'knl4-no-none-mask', hw: 'x86', seed: 1 }, 'real')).toThrow(
      /bug 'knl4-no-none-mask' needs --hw knl4/,
    );
    expect(resolveRunSpec({ backend: 'native', hw: 'knl4', seed: 1 }, 'real').hw).toBe('knl4');
  });

  it("an explicit contract wins over the bug's; resolving a resolved spec changes nothing", () => {
    const s = resolveRunSpec({ backend: 'xen', bug: 'ctxsw-lazy-no-flush', contract: 2007, seed: 1 }, 'real');
    expect(s.contract).toBe(2007);
    expect(resolveRunSpec(s, 'real')).toEqual(s);
  });

  it("a scenario of one kernel generation brings its contract, and refuses the other's", () => {
    expect(resolveRunSpec({ backend: 'native', scenario: 'notifier-sva', seed: 1 }, 'real').contract).toBe(2025);
    expect(resolveRunSpec({ backend: 'native', scenario: 'notifier-kvm', seed: 1 }, 'real').contract).toBe(2007);
    expect(() =>
      resolveRunSpec({ backend: 'native', scenario: 'notifier-sva', contract: 2007, seed: 1 }, 'real'),
    ).toThrow(/^scenario 'notifier-sva' exists only under --lazy-contract 2025/);
  });

  it('refuses unknown names and a bug on a backend it does not apply to, in one line each', () => {
    expect(() => resolveRunSpec({ backend: 'vmi', seed: 1 }, 'real')).toThrow(
      /unknown backend 'vmi' \(have: native, xen, xen-unbatched, shadow, arm64\)/,
    );
    expect(() => resolveRunSpec({ backend: 'xen', scenario: 'nope', seed: 1 }, 'real')).toThrow(
      /unknown scenario 'nope'/,
    );
    expect(() => resolveRunSpec({ backend: 'xen', bug: 'nope', seed: 1 }, 'real')).toThrow(/unknown bug 'nope'/);
    expect(() => resolveRunSpec({ backend: 'xen', bug: 'naive-rmw', seed: 1 }, 'real')).toThrow(
      /bug 'naive-rmw' is a bug of the native backend, not xen/,
    );
  });

  it("the default backends: the bug's, or all", () => {
    expect(defaultBackends('naive-rmw')).toEqual(['native']);
    expect(defaultBackends(undefined)).toEqual(['native', 'xen', 'xen-unbatched', 'shadow', 'arm64']);
  });
});

describe('agent counts fitted to the cores (real runs)', () => {
  it("only MMU agents are shed, down to one (the kernel CPUs are the scenario's); counts that fit stay", () => {
    expect(fitAgents({ cpus: 2, mmus: 2 }, 2)).toEqual({ cpus: 2, mmus: 1 });
    expect(fitAgents({ cpus: 2, mmus: 2 }, 3)).toEqual({ cpus: 2, mmus: 1 });
    expect(fitAgents({ cpus: 2, mmus: 2 }, 4)).toEqual({ cpus: 2, mmus: 2 });
    expect(fitAgents({ cpus: 1, mmus: 3 }, 2)).toEqual({ cpus: 1, mmus: 1 });
    expect(fitAgents({ cpus: 3, mmus: 2 }, 2)).toEqual({ cpus: 3, mmus: 1 }); // never below one MMU
    expect(fitAgents({ cpus: 2, mmus: 3 }, 2, 2)).toEqual({ cpus: 2, mmus: 2 }); // nor the roles' fewest
    const fork = resolveRunSpec({ backend: 'native', scenario: 'fork-cow', seed: 1, cores: 2 }, 'real');
    expect(fork.config).toMatchObject({ cpus: 2, mmus: 2 }); // a parent writer and the child
    const kvm = resolveRunSpec({ backend: 'native', scenario: 'notifier-kvm', seed: 1, cores: 2 }, 'real');
    expect(kvm.config).toMatchObject({ cpus: 2, mmus: 2 }); // the host's MMU and the secondary
    expect(kvm.fitted).toBeUndefined();
  });

  it('a real run with no counts given is fitted and says so; given counts, the model, and no cores are not', () => {
    const mp = findScenario('mprotect-dirty')!;
    const fitted = resolveRunSpec({ backend: 'native', seed: 1, cores: 2 }, 'real');
    expect(fitted.config).toMatchObject({ cpus: mp.defaults.cpus, mmus: 1, pages: mp.defaults.pages });
    expect(fitted.fitted).toEqual({ cpus: mp.defaults.cpus, mmus: mp.defaults.mmus, cores: 2 });
    expect(fitted.aim).toEqual(DEFAULT_AIM);
    const given = resolveRunSpec({ backend: 'native', seed: 1, cores: 2, config: { mmus: 2 } }, 'real');
    expect(given.config).toMatchObject({ cpus: mp.defaults.cpus, mmus: 2 });
    expect(given.fitted).toBeUndefined();
    expect(resolveRunSpec({ backend: 'native', seed: 1, cores: 64 }, 'real').fitted).toBeUndefined();
    const model = resolveRunSpec({ backend: 'native', seed: 1, cores: 1 }, 'model');
    expect(model.config).toEqual(mp.modelDefaults);
    expect(model.aim).toEqual(NO_AIM);
  });

  it('refuses an aim out of range', () => {
    expect(() => resolveRunSpec({ backend: 'native', seed: 1, aim: { share: 1.5, stride: 2 } }, 'real')).toThrow(
      /share must be in 0..1/,
    );
    expect(() => resolveRunSpec({ backend: 'native', seed: 1, aim: { share: 0.5, stride: 0 } }, 'real')).toThrow(
      /stride must be >= 1/,
    );
  });
});
