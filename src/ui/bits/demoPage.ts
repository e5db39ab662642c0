/**
 * bitsview.html: the result page's bits view (BitsView.svelte) over a big
 * made-up cost map, so the browser tests can check that a 1 MB file's view
 * renders without long tasks (issue #19) without first compressing 1 MB in
 * the page (minutes). The text mixes ASCII with 2-, 3- and 4-byte characters
 * and its "tokens" sometimes split them, as byte-level BPE does.
 */
import { mount, tick } from 'svelte';
import BitsView from './BitsView.svelte';
import { PREDICTED_BY, type BitsMap } from '../../pipeline/bitsMap.js';
import '../global.css';

const size = Number(new URLSearchParams(location.search).get('bytes') ?? 1 << 20);
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);

const words = ['the', 'model', 'predicts', 'each', 'token', 'café', 'naïve', 'данные', '压缩', 'text', '😀', 'and', 'of', 'repeat'];
const parts: string[] = [];
let length = 0;
while (length < size) {
  const w = words[Math.floor(rand() * words.length)]! + (rand() < 0.1 ? '\n' : ' ');
  parts.push(w);
  length += new TextEncoder().encode(w).length;
}
const bytes = new TextEncoder().encode(parts.join('')).subarray(0, size);

// spans of 1-6 bytes (now and then inside a character), with costs and predictors that vary along the file
const lengths: number[] = [];
for (let at = 0; at < bytes.length; ) {
  const n = Math.min(bytes.length - at, 1 + Math.floor(rand() * 6));
  lengths.push(n);
  at += n;
}
const n = lengths.length;
const bits = new Float32Array(n);
const predictedBy = new Uint8Array(n);
for (let i = 0; i < n; i++) {
  const wave = 1 + Math.sin(i / 5000);
  bits[i] = rand() * 6 * wave * lengths[i]! * 0.5;
  predictedBy[i] = [PREDICTED_BY.lm, PREDICTED_BY.lm, PREDICTED_BY.match, PREDICTED_BY.context][Math.floor(rand() * 4)]!;
}
const map: BitsMap = { lengths: Uint32Array.from(lengths), bits, predictedBy, tokensPerSpan: 1, headerBytes: 20, payloadBytes: Math.ceil(bits.reduce((s, b) => s + b, 0) / 8) };
const source = new Blob([bytes]);

const w = window as unknown as { __bits: { mountedAt: number; ready: boolean; spans: number } };
// (the map is built above; the test counts long tasks from here on)
setTimeout(() => {
  w.__bits = { mountedAt: performance.now(), ready: false, spans: n };
  setTimeout(show, 0);
}, 100);

async function show() {
  mount(BitsView, { target: document.getElementById('view')!, props: { map, source } });
  await tick();
  const started = performance.now();
  while (!document.querySelector('[data-testid="bits-text"] [data-i]') && performance.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
  w.__bits.ready = true;
}
