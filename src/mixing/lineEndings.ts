/**
 * The line-ending transform (docs/format.md, version 2, "Transforms"): text
 * with Windows line endings is coded as if it had Unix ones, because the
 * model (and its tokenizer) learned LF text and spends far more on CRLF
 * (a book: 2.49 bpb with CRLF, 1.99 with LF).
 *
 * Forward: every CR LF becomes LF; a lone LF stays LF and its ordinal among
 * all LFs of the output is recorded as an exception; a lone CR stays as it
 * is. Inverse: every LF becomes CR LF except the recorded ones. Every byte
 * string round-trips (a "\r" before a restored "\r\n" is the original's lone
 * CR, which the forward pass kept).
 */

const CR = 13;
const LF = 10;

/** Streaming forward transform: feed slices, collect the exceptions. */
export class LineFeedFolder {
  /** Ordinals (0-based, among output LFs) of LFs that had no CR before them. */
  readonly exceptions: number[] = [];
  private lineFeeds = 0;
  /** A CR at the end of the previous slice, not yet written. */
  private heldCr = false;

  push(slice: Uint8Array): Uint8Array {
    const out = new Uint8Array(slice.length + 1);
    let n = 0;
    let i = 0;
    if (this.heldCr) {
      this.heldCr = false;
      if (slice.length && slice[0] === LF) {
        out[n++] = LF;
        this.lineFeeds++;
        i = 1;
      } else if (slice.length) out[n++] = CR;
      else {
        this.heldCr = true;
        return out.subarray(0, 0);
      }
    }
    for (; i < slice.length; i++) {
      const b = slice[i]!;
      if (b === CR) {
        if (i + 1 === slice.length) {
          this.heldCr = true;
          break;
        }
        if (slice[i + 1] === LF) {
          out[n++] = LF;
          this.lineFeeds++;
          i++;
        } else out[n++] = CR;
      } else {
        if (b === LF) this.exceptions.push(this.lineFeeds++);
        out[n++] = b;
      }
    }
    return out.subarray(0, n);
  }

  end(): Uint8Array {
    const rest = this.heldCr ? Uint8Array.of(CR) : new Uint8Array(0);
    this.heldCr = false;
    return rest;
  }
}

/** Streaming inverse: LF -> CR LF except at the exception ordinals (ascending). */
export class LineFeedUnfolder {
  private lineFeeds = 0;
  private next = 0;

  constructor(private readonly exceptions: ArrayLike<number>) {}

  push(slice: Uint8Array): Uint8Array {
    let lfs = 0;
    for (let i = 0; i < slice.length; i++) if (slice[i] === LF) lfs++;
    const out = new Uint8Array(slice.length + lfs);
    let n = 0;
    for (let i = 0; i < slice.length; i++) {
      const b = slice[i]!;
      if (b === LF) {
        if (this.next < this.exceptions.length && this.exceptions[this.next] === this.lineFeeds) this.next++;
        else out[n++] = CR;
        this.lineFeeds++;
      }
      out[n++] = b;
    }
    return out.subarray(0, n);
  }
}

/** Whether a text looks like it uses CRLF line endings: more CR LF pairs than lone LFs. */
export function usesCrlf(sample: Uint8Array): boolean {
  let crlf = 0;
  let lone = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] !== LF) continue;
    if (i > 0 && sample[i - 1] === CR) crlf++;
    else lone++;
  }
  return crlf > 0 && crlf >= lone;
}

/** The whole-buffer forward transform. */
export function toLineFeeds(bytes: Uint8Array): { text: Uint8Array; exceptions: number[] } {
  const f = new LineFeedFolder();
  const a = f.push(bytes);
  const b = f.end();
  const text = new Uint8Array(a.length + b.length);
  text.set(a);
  text.set(b, a.length);
  return { text, exceptions: f.exceptions };
}

/** The whole-buffer inverse. */
export function fromLineFeeds(text: Uint8Array, exceptions: ArrayLike<number>): Uint8Array {
  return new LineFeedUnfolder(exceptions).push(text);
}
