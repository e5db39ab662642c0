/**
 * The shaded text of one page, built with plain DOM calls: a thousand spans
 * made by a reactive template cost a quarter of a second in a cold page,
 * made here a few milliseconds. Text goes in only through textContent, so
 * the user's text can never become markup.
 */
import { formatBytes } from '../format.js';
import { costClass, type Piece } from './bitsLayout.js';

export const tokenId = (i: number) => `bits-token-${i}`;

/** Replaces `box`'s children with one span (role option) per piece. */
export function renderPieces(box: HTMLElement, pieces: Piece[]): void {
  const frag = document.createDocumentFragment();
  pieces.forEach((q, i) => {
    const span = document.createElement('span');
    span.className = `c${costClass(q.bits, q.bytes)}`;
    span.id = tokenId(i);
    span.setAttribute('role', 'option');
    span.setAttribute('aria-selected', 'false');
    span.dataset.i = String(i);
    span.dataset.bits = String(q.bits);
    span.dataset.spans = String(q.spans);
    span.textContent = q.text;
    // (a token of only spaces or line breaks still needs a name for screen readers)
    if (!q.text.trim()) span.setAttribute('aria-label', spokenWhitespace(q.text));
    if (q.truncated) {
      const more = document.createElement('span');
      more.className = 'more';
      more.textContent = `… (${formatBytes(q.bytes)} stored)`;
      span.append(more);
    }
    frag.append(span);
  });
  box.replaceChildren(frag);
}

/** Marks piece `i` as the active one (and unmarks `previous`); returns its element. */
export function markActive(box: HTMLElement, previous: number, i: number): HTMLElement | null {
  if (previous >= 0) {
    const old = box.querySelector<HTMLElement>(`#${tokenId(previous)}`);
    old?.classList.remove('active');
    old?.setAttribute('aria-selected', 'false');
  }
  if (i < 0) return null;
  const el = box.querySelector<HTMLElement>(`#${tokenId(i)}`);
  el?.classList.add('active');
  el?.setAttribute('aria-selected', 'true');
  return el;
}

/** "space", "2 line breaks", "tab, space": whitespace as a screen reader should say it. */
export function spokenWhitespace(text: string): string {
  const names: Record<string, string> = { ' ': 'space', '\n': 'line break', '\t': 'tab', '\r': 'carriage return' };
  const runs: string[] = [];
  for (const m of text.matchAll(/( +|\n+|\t+|\r+|[^ \n\t\r]+)/g)) {
    const name = names[m[0][0]!] ?? 'blank';
    runs.push(m[0].length > 1 ? `${m[0].length} ${name}s` : name);
  }
  return runs.join(', ') || 'empty';
}
