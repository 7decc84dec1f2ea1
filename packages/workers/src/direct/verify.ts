/**
 * The guard of the direct compilation: after it, no function of the model may still be a
 * generator — a generator method the compiler missed would silently hand its caller an iterator
 * instead of a value. Checked over every export of the model, every method of every exported class
 * and every method of every exported object (scenarios), when a direct-mode worker starts.
 */
import * as core from '@ptesim/core';

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;

/** Names of model functions that are still generators (empty when the compilation is complete). */
export function leftoverGenerators(): string[] {
  const left: string[] = [];
  const check = (name: string, f: unknown) => {
    if (f instanceof GeneratorFunction) left.push(name);
  };
  for (const [name, value] of Object.entries(core)) {
    if (typeof value === 'function') {
      check(name, value);
      const proto = (value as { prototype?: object }).prototype;
      if (proto) for (const m of Object.getOwnPropertyNames(proto)) check(`${name}.${m}`, descriptorValue(proto, m));
    } else if (typeof value === 'object' && value !== null) {
      for (const m of Object.keys(value)) check(`${name}.${m}`, (value as Record<string, unknown>)[m]);
      if (Array.isArray(value))
        for (const item of value)
          if (item && typeof item === 'object')
            for (const m of Object.keys(item)) check(`${name}[].${m}`, (item as Record<string, unknown>)[m]);
    }
  }
  return left;
}

function descriptorValue(o: object, k: string): unknown {
  return Object.getOwnPropertyDescriptor(o, k)?.value;
}
