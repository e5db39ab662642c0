"""Train llmz's byte-level BPE tokenizer on the training corpus.

Byte-level (GPT-2 style) so that every byte string has a tokenization: the
256 byte symbols are always in the vocabulary, and the pipeline sends bytes
that are not valid UTF-8 straight to those symbols.  Id 0 is <|bos|>, the
token every chunk starts from.

Needs the `tokenizers` package (the same library that defines tokenizer.json,
so @huggingface/transformers reads the result exactly).  On this machine:
  pip install --no-index --find-links /opt/pypi/files --target /work/pylib tokenizers
  PYTHONPATH=/work/pylib /usr/bin/python3 training/train_tokenizer.py \
      --corpus /work/data/train.txt --vocab 8192 --out public/models/llmz-base/
"""
import argparse
import json
import os

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

BOS = "<|bos|>"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab,
        special_tokens=[BOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train([args.corpus], trainer)
    os.makedirs(args.out, exist_ok=True)
    tok.save(os.path.join(args.out, "tokenizer.json"))
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": BOS,
            "eos_token": BOS,
            "unk_token": None,
            "add_bos_token": False,
            "model_max_length": 4096,
            "clean_up_tokenization_spaces": False,
        }, f, indent=2)
    print("vocab", tok.get_vocab_size())


if __name__ == "__main__":
    main()
