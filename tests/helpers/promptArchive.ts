/**
 * Writes to stdout an archive of the default model that carries a prompt of
 * its own (steering 'max', a short learning run, kept whatever it costs), for
 * the browser test that opens it on WebGPU and wasm. Run with tsx; the text
 * comes on stdin.
 */
import { readFileSync } from 'node:fs';
import { loadModelFromDisk } from '../../src/platform/node/nodeModelSource.js';
import { ARCHIVE_PROMPT, readArchive } from '../../src/format/container.js';
import { compress } from '../../src/pipeline/compressor.js';

const text = new Uint8Array(readFileSync(0));
const model = await loadModelFromDisk('llmz-base', 'wasm');
const archive = await compress(text, model, {
  chunkTokens: 32,
  steering: 'max',
  archivePrompt: { steps: 8, sampleChunks: 2, minChunks: 1, keep: 'always' },
});
const { header } = readArchive(archive);
if (!header.archivePrompt || !header.chunks.some((c) => c.prompt === ARCHIVE_PROMPT)) throw new Error('no chunk was coded after the archive prompt');
process.stdout.write(archive);
