/** `llmz info IN`: what an archive's header says. */
import { ARCHIVE_PROMPT } from '../../format/container.js';
import { HUB_NUMERICS_ID, readHubStamp } from '../../model/hub/hubStamp.js';
import { shippedModelFor } from '../../model/modelSource.js';
import { openArchive } from '../../pipeline/decompressor.js';
import { fileSource } from '../../platform/node/files.js';
import { nodeModels } from '../../platform/node/nodeModelSource.js';
import type { Args } from '../flags.js';
import { singleInput } from './io.js';

export async function infoCommand({ positional, flags }: Args): Promise<void> {
  const input = singleInput('info', positional, flags);
  const { source, size } = fileSource(input);
  const opened = await openArchive(source);
  const { header: h, headerLength } = opened;
  let archiveBytes = size;
  if (archiveBytes === undefined) {
    archiveBytes = headerLength;
    for (let piece = await opened.reader.readSome(1 << 20); piece.length; piece = await opened.reader.readSome(1 << 20)) archiveBytes += piece.length;
  }
  const found = shippedModelFor(h.model, await nodeModels.listModels())?.name ?? 'unknown';
  const lines = [
    `format version   ${h.version}`,
    `model            ${h.model.name || `${found} (compact form: found by fingerprint)`} (weights ${h.model.fingerprint}…, tokenizer ${h.model.tokenizerFingerprint}…, numerics ${h.model.numericsId})`,
    `original size    ${h.originalLength} bytes, CRC-32 ${h.crc32.toString(16).padStart(8, '0')}`,
    `archive size     ${archiveBytes} bytes (header ${headerLength}), ${h.originalLength ? ((archiveBytes * 8) / h.originalLength).toFixed(3) : '-'} bits/byte`,
    `chunks           ${h.chunks.length} of up to ${h.chunkTokens} tokens (${h.chunks.filter((c) => c.kind === 'stored').length} stored)`,
  ];
  const prompted = h.chunks.filter((c) => (c.prompt ?? 0) > 0);
  if (prompted.length) {
    const own = prompted.filter((c) => c.prompt === ARCHIVE_PROMPT).length;
    lines.push(`soft prompts     ${prompted.length - own} chunks after the model's domain prompts, ${own} after the archive's own`);
  }
  if (h.archivePrompt) lines.push(`archive prompt   ${h.archivePrompt.length} bytes (learned on the input, coded under a hyper-prior)`);
  if (h.model.numericsId === HUB_NUMERICS_ID) {
    const s = readHubStamp(h.extension);
    lines.push(`made on          ${s.backend} (${s.device}), dtype ${s.dtype}, revision ${s.revision}, batches of ${s.batch}: decodes on the same kind of device`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
