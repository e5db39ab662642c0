/** `llmz info IN`: what an archive's header says. */
import { isByteMixing } from '../../format/codingBlock.js';
import { ARCHIVE_PROMPT } from '../../format/container.js';
import { HUB_NUMERICS_ID, readHubStamp } from '../../model/hub/hubStamp.js';
import { listedModelFor } from '../../model/modelSource.js';
import { openArchive } from '../../pipeline/decompressor.js';
import { fileSource } from '../../platform/node/files.js';
import { nodeModels } from '../../platform/node/nodeModelSource.js';
import type { Args } from '../flags.js';
import { printable } from '../printable.js';
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
  const listed = listedModelFor(h.model, await nodeModels.listModels());
  const found = listed ? `${listed.name}@${listed.version}${listed.status === 'retired' ? ' (retired: opens old archives)' : ''}` : 'not in the model list';
  const lines = [
    `format version   ${h.version}`,
    `model            ${h.model.name ? `"${printable(h.model.name)}"` : '(not named: compact form)'}, weights ${h.model.fingerprint}…${h.model.tokenizerFingerprint ? `, tokenizer ${h.model.tokenizerFingerprint}…` : ''}, numerics ${h.model.numericsId}`,
    `found by weights ${found}`,
    `original size    ${h.originalLength} bytes, CRC-32 ${h.crc32.toString(16).padStart(8, '0')}`,
    `archive size     ${archiveBytes} bytes (header ${headerLength}), ${h.originalLength ? ((archiveBytes * 8) / h.originalLength).toFixed(3) : '-'} bits/byte`,
    isByteMixing(h.mixing?.id)
      ? `chunks           ${h.chunks.length} of up to 64 KB (${h.chunks.filter((c) => c.kind === 'stored').length} stored)`
      : `chunks           ${h.chunks.length} of up to ${h.chunkTokens} tokens (${h.chunks.filter((c) => c.kind === 'stored').length} stored)`,
  ];
  if (h.mixing && isByteMixing(h.mixing.id)) {
    lines.push(`mixing           id ${h.mixing.id}: the byte model (version ${h.mixing.id - 1}) alone (tables of 2^${h.mixing.tableBits} entries); no language model needed to decode`);
  } else if (h.mixing) {
    const mixed = h.chunks.filter((c) => c.mixed).length;
    lines.push(`mixing           id ${h.mixing.id}, rounds up to ${h.mixing.roundWidth} chunks; ${mixed} of ${h.chunks.filter((c) => c.kind === 'model').length} model chunks mixed`);
  }
  if (h.transform) lines.push(`line endings     CR LF coded as LF (${h.transform.codedLength} bytes coded, ${h.transform.exceptions.length} lone LF kept)`);
  const prompted = h.chunks.filter((c) => (c.prompt ?? 0) > 0);
  if (prompted.length) {
    const own = prompted.filter((c) => c.prompt === ARCHIVE_PROMPT).length;
    lines.push(`soft prompts     ${prompted.length - own} chunks after the model's domain prompts, ${own} after the archive's own`);
  }
  if (h.archivePrompt) lines.push(`archive prompt   ${h.archivePrompt.length} bytes (learned on the input, coded under a hyper-prior)`);
  if (h.model.numericsId === HUB_NUMERICS_ID) {
    const s = readHubStamp(h.extension);
    lines.push(`made on          ${printable(`${s.backend} (${s.device}), dtype ${s.dtype}, revision ${s.revision}`)}, batches of ${s.batch}: decodes on the same kind of device`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
