#!/usr/bin/env bash
# Export checkpoints as the shipped models and measure them.
#   bash training/ship.sh BASE_CKPT [LITE_CKPT] [PROMPTS_NPZ] [CONTEXT]
# BASE_CKPT: an int8 QAT checkpoint (train.py --qat 8) -> public/models/llmz-base (int8);
# LITE_CKPT: an int4 QAT checkpoint (train.py --qat 4; default BASE_CKPT) -> public/models/llmz-lite (int4);
# PROMPTS_NPZ: domain soft prompts (train_prompts.py) shipped in both model files ("" for none).
# Refreshes public/models/index.json (scripts/model-index.mjs), writes the float ONNX export of
# BASE_CKPT for the hub engine and `npm run eval -- --float` to /work/onnx/llmz-base,
# and prints float(QAT simulation)-vs-integer bits per byte on dev chunks (training/evaluate.py).
# Then: `npm run eval -- --float hf:/work/onnx/llmz-base`, `npm run bench`, and update the model cards.
# TOKENIZER (default: the shipped llmz-base tokenizer) and DATA (default /work/data: its
# tokenized dev files) name another vocabulary, e.g. TOKENIZER=training/tokenizer-v2/tokenizer.json
# DATA=/work/data-v2; the tokenizer is then copied beside each model.bin.
set -euo pipefail
cd "$(dirname "$0")/.."
TOKENIZER=$(realpath "${TOKENIZER:-public/models/llmz-base/tokenizer.json}")
DATA=${DATA:-/work/data}
BASE=${1:?base checkpoint}
LITE=${2:-$BASE}
PROMPTS=${3:-}
CONTEXT=${4:-512}
export OPENBLAS_NUM_THREADS=1
for spec in "llmz-base:8:$BASE" "llmz-lite:4:$LITE"; do
  IFS=: read -r name bits ckpt <<<"$spec"
  mkdir -p public/models/$name
  [ "$TOKENIZER" = "$(realpath -m public/models/$name/tokenizer.json)" ] || cp "$TOKENIZER" public/models/$name/tokenizer.json
  /usr/bin/python3 training/export.py --ckpt "$ckpt" --data "$DATA" --tokenizer "$TOKENIZER" \
    --out public/models/$name/model.bin --name $name --context "$CONTEXT" --weight-bits $bits ${PROMPTS:+--prompts "$PROMPTS"}
done
node scripts/model-index.mjs   # the registry: sizes and hashes of every release (DEVELOPERS.md, "Releasing a model")
sha256sum public/models/*/model.bin
(cd training && /usr/bin/python3 export_onnx.py llmz --ckpt "$BASE" --tokenizer "$TOKENIZER" --out /work/onnx/llmz-base)
for spec in "llmz-base:$BASE" "llmz-lite:$LITE"; do
  IFS=: read -r name ckpt <<<"$spec"
  echo "== $name"
  /usr/bin/python3 training/evaluate.py --ckpt "$ckpt" --model public/models/$name/model.bin --data "$DATA" \
    --tokenizer "$TOKENIZER" --chunks 8 --context "$CONTEXT"
done
