# nhacviec — one image for the bot and its command line.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/app/data \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/nhacviec/nhacviec.db

# Fonts with Vietnamese glyphs for the digest charts. Not version-pinned: the slim
# base's Debian release fixes the version and security updates should flow in.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p bot handlers scheduler && touch bot/__init__.py handlers/__init__.py scheduler/__init__.py \
    && pip install . && pip uninstall -y nhacviec

COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
COPY data ./data
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && useradd --no-log-init --uid 10001 --home-dir /var/lib/nhacviec --create-home nhacviec
USER 10001
VOLUME ["/var/lib/nhacviec"]

HEALTHCHECK --interval=60s --timeout=15s --start-period=30s --retries=3 \
    CMD ["nhacviec", "db", "current", "--check"]

ENTRYPOINT ["nhacviec"]
CMD ["run"]
