// Bundles the Node pool's chunk worker into one plain ES module (run by `npm ci` via "prepare", and by
// `npm test`), so its threads need not load tsx: src/platform/node/workerEntry.ts says when it is used.
// Packages stay imports (node_modules is beside it); only llmz's own sources go in, and the list of
// them is written beside the bundle, so that an edited source makes the bundle count as stale.
import { writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/platform/node');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('esbuild is not installed: the chunk worker runs through tsx.');
  process.exit(0);
}
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [join(dir, 'chunk.worker.ts')],
  outfile: join(dir, 'chunk.worker.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
  banner: { js: '// Made by scripts/build-node-worker.mjs from src/platform/node/chunk.worker.ts: do not edit.' },
});
const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, join(root, p)));
writeFileSync(join(dir, 'chunk.worker.bundle.json'), JSON.stringify({ inputs }, null, 1) + '\n');
