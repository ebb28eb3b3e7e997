# syntax=docker/dockerfile:1
# Build stage: turn the project into wheels, so the runtime image has no build tools.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY core ./core
COPY handlers ./handlers
COPY broadcast ./broadcast
COPY storage ./storage
COPY sandbox ./sandbox
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: the installed wheels, a non-root user, and the health check.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/shopwatch.db \
    WEBHOOK_LISTEN=0.0.0.0:8080
RUN useradd --create-home --uid 10001 shopwatch \
    && mkdir /data && chown shopwatch:shopwatch /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER shopwatch
WORKDIR /home/shopwatch
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["shopwatch", "run"]
