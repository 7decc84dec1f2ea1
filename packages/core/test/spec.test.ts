/** One place for a run's defaults and checks: resolveRunSpec. */
import { describe, expect, it } from 'vitest';
import { defaultBackends, findScenario, resolveRunSpec } from '../src/index.ts';

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
