# image-updater controller image.
#
# Builder: resolves the locked dependencies with uv into /app/.venv and installs the project into
# it as a regular (non-editable) package, so the runtime stage needs nothing but that directory.
# Runtime: python:3.11-slim (the same interpreter path as the builder, which the venv links to),
# git and ssh for write-back, a non-root user, and nothing writable outside /tmp: HOME and TMPDIR
# point there, so the image runs with a read-only root filesystem and an emptyDir at /tmp.

FROM python:3.11-slim AS builder
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
# Dependencies first: this layer is reused until pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client gnupg ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 image-updater \
    && useradd --uid 1000 --gid 1000 --home-dir /app --no-create-home --shell /usr/sbin/nologin image-updater \
    && mkdir -p /app/config
# git gets its configuration from the environment of each command (no system or global file), and
# ssh keeps known_hosts under $HOME, so both only ever write below /tmp.
ENV PATH=/app/.venv/bin:$PATH \
    HOME=/tmp \
    TMPDIR=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
USER 1000:1000
# 8080: /healthz and /readyz; 8081: /metrics.
EXPOSE 8080 8081
ENTRYPOINT ["image-updater"]
CMD ["run"]
