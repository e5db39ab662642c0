/**
 * The file a pool thread starts from. worker_threads cannot load TypeScript,
 * so chunk.worker.boot.mjs registers tsx in the thread first; but tsx runs
 * its module hooks on a thread of its own, so each worker brings a second
 * isolate and a transform cache (~18 MB a worker: peak RSS of `llmz compress
 * --threads 2` on 1 MB, 438 -> 401 MB). `npm ci` ("prepare") and `npm test`
 * bundle the worker into one plain module (scripts/build-node-worker.mjs),
 * which starts without tsx. It is used only while it is newer than every
 * source file it was made from (their list is beside it): an edited, added
 * or deleted source never runs stale, the tsx boot takes over until the
 * next build.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const BUNDLE = 'chunk.worker.bundle.mjs';
const BUNDLE_INPUTS = 'chunk.worker.bundle.json';
const BOOT = 'chunk.worker.boot.mjs';

/** The bundle in `dir` when it is there and up to date with its sources under `root`, else the tsx boot. */
export function chunkWorkerEntry(dir: URL, root: string): URL {
  return new URL(bundleIsFresh(fileURLToPath(dir), root) ? BUNDLE : BOOT, dir);
}

function bundleIsFresh(dir: string, root: string): boolean {
  try {
    const made = statSync(join(dir, BUNDLE)).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(join(dir, BUNDLE_INPUTS), 'utf8')) as { inputs: unknown };
    if (!Array.isArray(inputs) || !inputs.length) return false;
    return inputs.every((p) => typeof p === 'string' && statSync(join(root, p)).mtimeMs <= made);
  } catch {
    return false; // no bundle, no list, or a source gone
  }
}
