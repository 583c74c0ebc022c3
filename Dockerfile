# alliance HTTP service, CPU image. Models are mounted read-only at /models, data lives in /data.
#   docker build -t alliance .
#   docker run --rm -v alliance-data:/data alliance keys create --owner site-a     # prints the key once
#   docker run -d -p 127.0.0.1:8000:8000 -v "$PWD/models:/models:ro" -v alliance-data:/data alliance
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ALLIANCE_MODELS_DIR=/models \
    ALLIANCE_DATA_DIR=/data \
    ALLIANCE_DEVICE=cpu \
    ALLIANCE_SERVICE_HOST=0.0.0.0 \
    ALLIANCE_SERVICE_PORT=8000

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY audio_pipeline ./audio_pipeline
COPY service ./service
# The CPU builds of torch/torchaudio first, so the CUDA libraries in constraints.txt are never pulled in.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.11.0 torchaudio==2.11.0 \
 && grep -v -E '^(nvidia-|cuda-|triton==)' constraints.txt > /tmp/constraints-cpu.txt \
 && pip install -c /tmp/constraints-cpu.txt . \
 && useradd --create-home --uid 10001 alliance \
 && mkdir -p /data /models && chown alliance:alliance /data

USER alliance
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
# Listening on 0.0.0.0 inside the container: the service refuses to start until an API key exists.
ENTRYPOINT ["alliance"]
CMD ["serve"]
