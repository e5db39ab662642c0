// Compiles the exact engine's AssemblyScript kernels to wasm (run by `npm ci` via "prepare", and before builds/tests).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/model/exact/wasm');
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/assemblyscript/bin/asc.js'),
    join(dir, 'assembly/kernels.ts'),
    '--outFile', join(dir, 'kernels.wasm'),
    '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd',
    '--initialMemory', '2', '--exportRuntime',
  ],
  { stdio: 'inherit', cwd: root },
);
