#!/usr/bin/env bash
# Builds .gpu/, what scripts/bench_cuda.sh needs on a lent CUDA machine with no network:
#   .gpu/site.tar.xz  the packages of ours that machine's image lacks, for its CPython 3.12
#                     (it has PyTorch, NumPy, SciPy, scikit-learn, transformers, ONNX Runtime...;
#                     the device tool's KINDS.md lists them), installed with --target and packed
#                     with xz: the wheels alone are over the 64 MiB a call may carry;
#   .gpu/lines/       the espeak-ng lines scripts/bench.py builds its consultation from.
# .gpu/ is ignored by git (add "/.gpu/" to .git/info/exclude); carry it with the run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON_VERSION:-3.12}
# Versions as constraints.txt pins them; the dependencies of these that the image already has are left out.
PACKAGES=(
  ctranslate2==4.8.5 av==18.1.0 faster-whisper==1.2.1
  pyannote-audio==4.0.7 pyannote-core==6.1.0 pyannote-database==6.1.1 pyannote-metrics==4.2.0
  pyannote-pipeline==4.1.0 pyannoteai-sdk==0.4.0 asteroid-filterbanks==0.4.0 julius==0.2.8
  torch-audiomentations==0.12.0 torch_pitch_shift==1.2.5 primePy==1.3 pytorch-metric-learning==2.9.0
  optuna==5.0.0 colorlog==6.12.0 SQLAlchemy==2.1.9 alembic==1.20.1 Mako==1.4.3
  opentelemetry-api==1.45.2 opentelemetry-sdk==1.45.2 opentelemetry-semantic-conventions==0.66b2
  opentelemetry-exporter-otlp==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2
  opentelemetry-exporter-otlp-proto-common==1.45.2 opentelemetry-exporter-otlp-proto-grpc==1.45.2
  opentelemetry-exporter-otlp-common==0.66b2 opentelemetry-proto==1.45.2
  opentelemetry-exporter-http-transport==0.66b2 googleapis-common-protos==1.76.0
  pydantic==2.14.3 pydantic_core==2.50.4 pydantic-settings==2.16.3 annotated-types==0.8.0
  typing-inspection==0.4.5 python-dotenv==1.2.4 soundfile==0.14.0 cffi==2.1.1 pycparser==3.12
  vaderSentiment==3.3.2 RapidFuzz==3.14.6 librosa==0.11.0 audioread==3.1.0 soxr==1.1.0 pooch==1.9.0
  decorator==5.3.1 platformdirs==4.14.7 jellyfish==1.3.0
)
PLATFORMS=()
for tag in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  PLATFORMS+=(--platform "$tag")
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip install -q --no-deps --no-compile --target "$work/site" --only-binary=:all: \
  --python-version "$PY" --implementation cp "${PLATFORMS[@]}" "${PACKAGES[@]}"
rm -rf "$work/site/bin"
find "$work/site" -name __pycache__ -prune -exec rm -rf {} +
mkdir -p .gpu/lines
tar -C "$work/site" -cf - . | xz -9 -T0 > .gpu/site.tar.xz
rm -f .gpu/extra.tar.xz  # an earlier bundle's second archive; everything is in site.tar.xz now
.venv/bin/python - <<'EOF'
from pathlib import Path
from scripts.bench import synthesize
# Builds the lines (espeak-ng, sox) and a throw-away 1 s consultation from them.
synthesize(1 / 60, Path(".gpu/lines/probe.wav"))
Path(".gpu/lines/probe.wav").unlink()
for raw in Path(".gpu/lines").glob("line?.wav"):
    raw.unlink()
EOF
du -sh .gpu
