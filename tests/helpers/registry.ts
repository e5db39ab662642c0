/**
 * The registry's current default model (public/models/index.json), for tests
 * that name it in what the user sees ("llmz-base@4", "6.87 MB"): releasing a
 * new default then changes no test.
 */
import { readFileSync } from 'node:fs';

interface RegistryEntry {
  name: string;
  version: number;
  status: 'default' | 'available' | 'retired';
  bytes: number;
}

const entries = JSON.parse(readFileSync('public/models/index.json', 'utf8')) as RegistryEntry[];
export const defaultModel: RegistryEntry = entries.find((e) => e.status === 'default')!;
