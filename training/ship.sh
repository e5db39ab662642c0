#!/usr/bin/env bash
# Export a checkpoint as the shipped models and measure it.
#   bash training/ship.sh [CKPT] [CONTEXT]
# Writes public/models/llmz-base/model.bin (int8) and public/models/llmz-lite/model.bin
# (int4), refreshes public/models/index.json (bytes, SHA-256), writes the float ONNX
# export for the hub engine and `npm run eval -- --float` to /work/onnx/llmz-base, and
# prints float-vs-integer bits per byte on dev chunks (training/evaluate.py).
# Then: `npm run eval -- --float hf:/work/onnx/llmz-base`, `npm run bench -- --limit 32768`,
# and update the model cards.
set -euo pipefail
cd "$(dirname "$0")/.."
CKPT=${1:-/work/llmz-state/base/ckpt.pt}
CONTEXT=${2:-512}
export OPENBLAS_NUM_THREADS=1
for spec in llmz-base:8 llmz-lite:4; do
  name=${spec%%:*}; bits=${spec##*:}
  mkdir -p public/models/$name
  /usr/bin/python3 training/export.py --ckpt "$CKPT" --data /work/data --tokenizer public/models/llmz-base/tokenizer.json \
    --out public/models/$name/model.bin --name $name --context "$CONTEXT" --weight-bits $bits
done
/usr/bin/python3 - <<'PY'
import hashlib, json, os
p = "public/models/index.json"
index = json.load(open(p))
for m in index:
    b = open(f"public/models/{m['name']}/model.bin", "rb").read()
    m["bytes"], m["sha256"] = len(b), hashlib.sha256(b).hexdigest()
open(p, "w").write("[\n" + ",\n".join("  " + json.dumps(m) for m in index) + "\n]\n")
PY
sha256sum public/models/*/model.bin
(cd training && /usr/bin/python3 export_onnx.py llmz --ckpt "$CKPT" --tokenizer ../public/models/llmz-base/tokenizer.json --out /work/onnx/llmz-base)
/usr/bin/python3 training/evaluate.py --ckpt "$CKPT" --model public/models/llmz-base/model.bin --data /work/data \
  --tokenizer public/models/llmz-base/tokenizer.json --chunks 8 --context "$CONTEXT"
