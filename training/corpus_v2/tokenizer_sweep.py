"""Tokenizer v2 sweep (issue #16): byte-level BPE vocabularies of 8k, 12k and
16k trained on the first corpus plus corpus v2, measured in bytes per token
per kind and language, beside the shipped llmz-base tokenizer.

  PYTHONPATH=/work/pylib python3 training/corpus_v2/tokenizer_sweep.py \
      --train /work/data/train40.txt --v2 /work/data/v2 --dev ../shared/corpus/dev --out /work/data/tok-sweep

Training text: the given slice of train.txt plus each v2 source except its
last 200 KB, which is kept for measuring. CRLF is normalized to LF first
(the context-mixing issue's transform does that before tokenizing, so no
vocabulary is spent on it). dev/ and dev/realworld/ are only measured.
"""
import argparse, glob, json, os, sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

BOS = '<|bos|>'
HOLD = 200_000
PER_SOURCE = 3_000_000


def lf(b: bytes) -> bytes:
    """LF line endings, and valid UTF-8 (slices may cut a character; the trainer reads text)."""
    return b.replace(b'\r\n', b'\n').decode('utf-8', 'ignore').encode('utf-8')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--train', required=True)
    ap.add_argument('--v2', required=True)
    ap.add_argument('--dev', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--vocabs', default='8192,12288,16384')
    ap.add_argument('--shipped', default='public/models/llmz-base/tokenizer.json')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    mix = os.path.join(a.out, 'mix.txt')
    evals = {}
    with open(mix, 'wb') as m:
        m.write(lf(open(a.train, 'rb').read()))
        for f in sorted(glob.glob(os.path.join(a.v2, '*.txt'))):
            b = lf(open(f, 'rb').read())
            name = os.path.basename(f)[:-4]
            evals['v2/' + name] = lf(b[-HOLD:])
            m.write(b'\n\n' + lf(b[: min(PER_SOURCE, len(b) - HOLD)]))
    for f in ['prose', 'wiki', 'code', 'markup']:
        evals['dev/' + f] = lf(open(os.path.join(a.dev, f + '.txt'), 'rb').read()[:HOLD])
    for f in sorted(glob.glob(os.path.join(a.dev, 'realworld', '*'))):
        if not f.endswith(('.md', '.tsv')):
            evals['realworld/' + os.path.basename(f)] = lf(open(f, 'rb').read())
    print('mix', os.path.getsize(mix) / 1e6, 'MB', file=sys.stderr, flush=True)
    toks = {'shipped 8k': Tokenizer.from_file(a.shipped)}
    for v in [int(x) for x in a.vocabs.split(',')]:
        path = os.path.join(a.out, f'bpe{v}.json')
        if not os.path.exists(path):
            t = Tokenizer(models.BPE())
            t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
            t.decoder = decoders.ByteLevel()
            t.train([mix], trainers.BpeTrainer(vocab_size=v, special_tokens=[BOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), min_frequency=2, show_progress=False))
            t.save(path)
            print('trained', v, file=sys.stderr, flush=True)
        toks[f'v2 {v // 1024}k'] = Tokenizer.from_file(path)
    names = list(toks)
    rows = []
    for k, b in evals.items():
        text = b.decode('utf-8', 'replace')
        rows.append([k] + [len(b) / max(1, len(t.encode(text).ids)) for t in toks.values()])
    print('| text | ' + ' | '.join(names) + ' |')
    print('|---|' + '---|' * len(names))
    for r in rows:
        print(f'| {r[0]} | ' + ' | '.join(f'{x:.2f}' for x in r[1:]) + ' |')
    json.dump({'columns': names, 'rows': rows}, open(os.path.join(a.out, 'sweep.json'), 'w'), indent=1)


if __name__ == '__main__':
    main()
