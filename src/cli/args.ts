/** A small, strict argument parser: unknown flags are errors, not surprises. */
import { UsageError } from '../codec/errors.js';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** `spec` maps flag names (and single-letter aliases) to whether they take a value. */
export function parseArgs(argv: string[], spec: Record<string, { value: boolean; alias?: string }>): ParsedArgs {
  const aliases = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.alias) aliases.set(s.alias, name);
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    let name = a.startsWith('--') ? a.slice(2) : aliases.get(a.slice(1)) ?? a.slice(1);
    let value: string | undefined;
    if (name.includes('=')) [name, value] = [name.slice(0, name.indexOf('=')), name.slice(name.indexOf('=') + 1)];
    const s = spec[name];
    if (!s) throw new UsageError(`Unknown option ${a}. Run "llmz help".`);
    if (s.value) {
      value ??= argv[++i];
      if (value === undefined) throw new UsageError(`Option --${name} needs a value.`);
      flags.set(name, value);
    } else flags.set(name, true);
  }
  return { positional, flags };
}

export function intFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}.`);
  return n;
}
