#!/usr/bin/env bash
# scripts/bench.py on a lent CUDA machine that has Python, PyTorch and the NVIDIA libraries but none
# of our other packages, no espeak-ng and no network (the `device` tool's machines).
#
# Prepared here by scripts/pack_cuda_bundle.sh, carried there in one folder (.gpu/, ignored by git):
#   .gpu/*.tar.xz     our other Python packages for that machine's CPython 3.12, installed with
#                     `pip install --no-deps --target ... --python-version 3.12 --platform manylinux...`
#                     and packed with xz (the wheels alone are over the tool's 64 MiB);
#   .gpu/lines/       the espeak-ng lines bench.py builds its consultation from (line<i>.16k.wav).
#
# Steps run in priority order against one deadline, each appending its raw figures to
# $OUT/bench.jsonl, so a step cut short still leaves the ones before it.
set -uo pipefail
OUT=${OUT:-/tmp/bench-cuda-out}
DEADLINE=$(( $(date +%s) + ${BUDGET_S:-540} ))
mkdir -p "$OUT"
log() { echo "[$(date +%T)] $*"; }
left() { echo $(( DEADLINE - $(date +%s) )); }

log "unpacking packages"
mkdir -p /tmp/site
for pack in .gpu/*.tar.xz; do xz -dc -T0 "$pack" | tar -x -C /tmp/site || exit 3; done
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
export PYANNOTE_METRICS_ENABLED=0 HF_HUB_OFFLINE=1 ALLIANCE_ALLOW_DOWNLOADS=false

# CTranslate2 4.8.5's wheels open cuBLAS 12 by name (libcublas.so.12, libcublasLt.so.12); an image
# with CUDA 13 alone has libcublas.so.13. CTranslate2 resolves each cuBLAS function by name, so
# pointing the 12 names at the 13 libraries lets float16 run (int8 is known to fail on cuBLAS 13:
# OpenNMT/CTranslate2#1933). A benchmark device only: a site installs the CUDA 12 libraries.
cublas=$(python3 -c "import glob,sys; print(next(iter(sorted(glob.glob(sys.prefix+'/lib/python3*/site-packages/nvidia/**/libcublas.so.1*', recursive=True))), ''))")
if [ -z "$cublas" ]; then cublas=$(ldconfig -p | awk '/libcublas\.so\.1[0-9]/ {print $NF; exit}'); fi
if [ -n "$cublas" ] && ! ldconfig -p | grep -q 'libcublas.so.12'; then
  dir=$(dirname "$cublas"); mkdir -p /tmp/cu12
  for lib in libcublas libcublasLt; do
    real=$(ls "$dir"/$lib.so.1[0-9]* 2>/dev/null | grep -v '\.so\.12' | head -1)
    [ -n "$real" ] && ln -sf "$real" /tmp/cu12/$lib.so.12
  done
  export LD_LIBRARY_PATH="/tmp/cu12:$dir:${LD_LIBRARY_PATH:-}"
  log "cuBLAS 12 names -> $(ls -l /tmp/cu12 | awk 'NR>1 {print $NF}' | tr '\n' ' ')"
fi

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python3 - <<'EOF' 2>&1 | tee "$OUT/smoke.txt"
import importlib.metadata as md, numpy as np, torch, ctranslate2
for name in ("torch", "numpy", "ctranslate2", "faster-whisper", "pyannote.audio", "onnxruntime", "transformers", "av"):
    try:
        print(name, md.version(name))
    except md.PackageNotFoundError:
        print(name, "missing")
print("torch cuda", torch.cuda.is_available(), torch.version.cuda, "| ctranslate2 cuda devices", ctranslate2.get_cuda_device_count())
print("ctranslate2 cuda compute types", sorted(ctranslate2.get_supported_compute_types("cuda")))
import audio_pipeline.pipeline  # every import the bench needs
EOF
[ "${PIPESTATUS[0]}" = 0 ] || { log "smoke failed"; exit 4; }
nproc; free -g | head -2

mkdir -p bench-out && cp .gpu/lines/line*.16k.wav bench-out/
step() {  # step NEEDED_S ARGS...: run bench.py with ARGS if NEEDED_S seconds are left
  local need=$1; shift
  if [ "$(left)" -lt "$need" ]; then log "skipped (only $(left) s left): $*"; return 0; fi
  log "bench.py $*"
  timeout "$(left)" python3 scripts/bench.py --device cuda --sizes large-v3-turbo --json-out "$OUT/bench.jsonl" "$@" 2>&1 \
    | grep -v -E 'Writing model shards|UserWarning|warnings.warn' | tee -a "$OUT/bench.log"
}
# 1. ours against stock pyannote on 10 minutes, sequential recognition (the default path)
step 150 --minutes 10 --asr-batch-sizes 0
if [ ! -s "$OUT/bench.jsonl" ]; then
  # Recognition could not run on this GPU: still time our diarization against stock on it.
  log "no pipeline figures: diarization alone, ours against stock"
  timeout "$(left)" python3 scripts/bench.py --device cuda --diarization-only --minutes 10 60 --json-out "$OUT/bench.jsonl" 2>&1 \
    | grep -v -E 'UserWarning|warnings.warn' | tee -a "$OUT/bench.log"
  exit 5
fi
# 2. the hour end to end with batched recognition: the 60-minute target
step 100 --minutes 60 --asr-batch-sizes 16 --compare-minutes
# 3. batched recognition on 10 minutes, against step 1's sequential, with stock beside it again
step 80 --minutes 10 --asr-batch-sizes 16
# 4. the hour, sequential recognition
step 120 --minutes 60 --asr-batch-sizes 0 --compare-minutes
# 5. the hour, stock pyannote beside ours
step 150 --minutes 60 --asr-batch-sizes 16
log "done, $(left) s before the deadline"
