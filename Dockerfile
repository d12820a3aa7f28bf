# syntax=docker/dockerfile:1
# Build stage: a wheel and its dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install .

# Runtime stage: the virtualenv only, run as an unprivileged user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RETURNS_HOST=0.0.0.0 \
    RETURNS_PORT=8000 \
    RETURNS_DATABASE_URL=sqlite+aiosqlite:////data/returns.db
RUN useradd --system --uid 10001 --home-dir /data --create-home returns
COPY --from=build /opt/venv /opt/venv
USER returns
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
# `serve` applies the migrations first (RETURNS_MIGRATE_ON_START=true), then starts uvicorn.
CMD ["returns-api", "serve"]
