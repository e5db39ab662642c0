#!/usr/bin/env bash
# Export the current checkpoint as the shipped default model and measure it.
#   bash training/ship.sh [CKPT] [CONTEXT]
# Writes public/models/llmz-base/model.bin; prints float-vs-integer bits per
# byte on dev chunks (training/evaluate.py). Then run `npm run bench -- --limit 65536`
# and `npm run bench:chunking` for the compressor's figures, and update the model card.
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:-/work/llmz-state/base/ckpt.pt}
CONTEXT=${2:-256}
export OPENBLAS_NUM_THREADS=1
/usr/bin/python3 training/export.py --ckpt "$CKPT" --data /work/data \
  --tokenizer public/models/llmz-base/tokenizer.json --out public/models/llmz-base/model.bin --context "$CONTEXT"
sha256sum public/models/llmz-base/model.bin
/usr/bin/python3 training/evaluate.py --ckpt "$CKPT" --model public/models/llmz-base/model.bin --data /work/data \
  --tokenizer public/models/llmz-base/tokenizer.json --chunks 8 --context "$CONTEXT"
