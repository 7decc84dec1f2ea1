/**
 * Command-line parsing on node:util's parseArgs: `--flag value`, `--flag=value` and boolean `--flag`.
 * Anything unknown or malformed is a UsageError: one clear line, exit 2, nothing else.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { didYouMean } from './suggest.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** Takes a value (otherwise a boolean switch). */
  value: boolean;
  help: string;
}

export interface Parsed {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** `--help` and `-h`: a switch of every command, taken by main before the command parses. */
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * node:util's tokens for argv under `spec`. Not strict: strict mode would throw Node's own messages
 * (several sentences, the option named only inside them) and lets a repeated flag through, so every
 * check strict mode makes — unknown option, missing value, a value on a switch, an option-like value —
 * is made on the tokens by parseArgs below, with one line and a suggestion.
 */
function tokenize(argv: readonly string[], spec: Record<string, FlagSpec>, help: boolean) {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, s]) => [name, { type: s.value ? ('string' as const) : ('boolean' as const) }]),
  );
  return nodeParseArgs({
    args: [...argv],
    options: help ? { ...options, ...HELP } : options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
}

/** Whether argv asks for the command's help (`--help` or `-h`, not as another flag's value nor after `--`). */
export function helpRequested(argv: readonly string[], spec: Record<string, FlagSpec>): boolean {
  return tokenize(argv, spec, true).tokens.some((t) => t.kind === 'option' && t.name === 'help');
}

/** Parse the arguments of `command` (named in the messages) under `spec`. */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): Parsed {
  const { tokens, positionals } = tokenize(argv, spec, false);
  const flags = new Map<string, string | true>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const name = t.name;
    if (!Object.hasOwn(spec, name)) {
      const meant = didYouMean(name, Object.keys(spec));
      throw new UsageError(
        `unknown option ${t.rawName} for ${command} ` +
          (meant !== undefined ? `(did you mean --${meant}?)` : `(try: ptesim ${command} --help)`),
      );
    }
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    if (!spec[name].value) {
      if (t.inlineValue) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    if (t.value === undefined) throw new UsageError(`--${name} needs a value`);
    // As strict mode would: `--seed --quiet` is a forgotten value, not a seed of '--quiet'.
    if (!t.inlineValue && t.value.length > 1 && t.value.startsWith('-'))
      throw new UsageError(
        `--${name} needs a value` +
          (t.value.startsWith('--') ? '' : ` (one that starts with '-' is written --${name}=${t.value})`),
      );
    flags.set(name, t.value);
  }
  return { positionals, flags };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function bool(p: Parsed, name: string): boolean {
  return p.flags.get(name) === true;
}

/** A whole number in [min, max]. */
export function int(p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A duration: 500ms, 10s, 2m, 1h (a bare number is seconds). Returns milliseconds. */
export function duration(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
  if (!m) throw new UsageError(`--${name} must be a duration like 500ms, 10s or 2m, got '${v}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new UsageError(`--${name} must be positive`);
  return ms;
}

export function oneOf(p: Parsed, name: string, choices: readonly string[]): string | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got '${v}'`);
  return v;
}
