#!/usr/bin/env bash
# A cool-down probe of a running train.py run: what the checkpoint would give if
# the run stopped now, without touching the run. Copies CKPT, decays the lr to
# zero over DECAY steps at 1,024-token sequences, measures float bits per byte
# at the engine's chunk length, adds 5 int8 QAT steps and exports a model
# folder (model.bin at --context 1024 plus the v2 tokenizer) for
# `npm run bench:goals -- --model OUT`.
#
#   bash training/probe.sh CKPT OUT [DECAY]     (DECAY: default 60)
#
# Env: DATA (default /work/data-v2e, the run's data since session 22), WORK (default /work/llmz-state/probe),
# THREADS (default 1: the run keeps the other core; 2 with the run paused).
# Writes WORK/ckpt.pt, WORK/eval1024.json (dev_eval.py --seq 1024 --chunks 12,
# comparable with llmz-base's base-float.eval1024.json) and OUT/.
set -euo pipefail
cd "$(dirname "$0")"
CKPT=$(realpath "${1:?checkpoint of the run}")
OUT=$(realpath -m "${2:?output folder}")
DECAY=${3:-60}
DATA=${DATA:-/work/data-v2e}
WORK=${WORK:-/work/llmz-state/probe}
THREADS=${THREADS:-1}
export OPENBLAS_NUM_THREADS=$THREADS OMP_WAIT_POLICY=PASSIVE  # an idle OpenMP worker must not spin (DEVELOPERS.md)
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT" && cp "$CKPT" "$WORK/ckpt.pt"
STEP=$(/usr/bin/python3 -c "import torch; print(torch.load('$WORK/ckpt.pt', weights_only=False)['step'])")
echo "probe from step $STEP: $DECAY decay steps, then 5 QAT steps"
COMMON=(--data "$DATA" --tokenizer tokenizer-v2/tokenizer.json --state "$WORK" --seq 1024 --batch 8
  --eval-seq 512 --lr 8e-4 --warmup 200 --tail-tokens 880000 --tail-frac 0.1 --eval-every 100000
  --oversample 35170334:0.15 --line-start-frac 0.25
  --ckpt-minutes 600 --threads "$THREADS")
# the decay ends 5 steps after the float part, so the QAT steps finish it
/usr/bin/python3 train.py "${COMMON[@]}" --steps $((STEP + DECAY)) --decay-steps $((DECAY + 5)) | tail -2
/usr/bin/python3 dev_eval.py "$WORK/ckpt.pt" "$DATA" tokenizer-v2/tokenizer.json --seq 1024 --chunks 12 \
  --threads "$THREADS" > "$WORK/eval1024.json"
/usr/bin/python3 train.py "${COMMON[@]}" --steps $((STEP + DECAY + 5)) --decay-steps $((DECAY + 5)) --qat 8 | tail -1
/usr/bin/python3 export.py --ckpt "$WORK/ckpt.pt" --data "$DATA" --tokenizer tokenizer-v2/tokenizer.json \
  --out "$OUT/model.bin" --name "probe-$STEP" --context 1024 | tail -1
cp tokenizer-v2/tokenizer.json tokenizer-v2/tokenizer_config.json "$OUT/"
echo "float bpb at 1,024 in $WORK/eval1024.json; model in $OUT"
