# mediation-svc: API and web pages. Build: docker build -t mediation-svc .
# Run (PostgreSQL in production; keys and data are volumes, the key passphrase a secret):
#   docker run -p 8000:8000 -v mediation-keys:/app/keys -v mediation-data:/app/var \
#     -e MEDIATION_DATABASE_URL=postgresql+psycopg://user@db:5432/mediation \
#     -e MEDIATION_KEY_PASSPHRASE_FILE=/run/secrets/key_passphrase mediation-svc
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango; libharfbuzz-subset0 makes font subsetting fast; Noto CJK for Chinese documents;
# poppler/qpdf/openssl for the verification and signing tools; curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk \
      poppler-utils qpdf openssl curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mediation
WORKDIR /app

COPY pyproject.toml README.md ./
COPY mediation_svc ./mediation_svc
COPY document_templates ./document_templates
# the hsm extra (python-pkcs11) lets the seal live in an HSM: mount the vendor PKCS#11 module, see keys/README.md
RUN pip install --no-cache-dir ".[hsm]"

RUN mkdir -p /app/keys /app/var && chown -R mediation:mediation /app/keys /app/var
USER mediation

ENV MEDIATION_KEY_DIR=/app/keys \
    MEDIATION_DATABASE_URL=sqlite:////app/var/mediation.db \
    PORT=8000
VOLUME ["/app/keys", "/app/var"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/healthz" || exit 1

# Keys and migrations are idempotent: safe on every start. Seed demo data only with MEDIATION_SEED_DEMO=1.
CMD ["sh", "-c", "mediation-svc keys init && mediation-svc db upgrade && if [ \"$MEDIATION_SEED_DEMO\" = 1 ]; then mediation-svc seed-demo; fi && exec mediation-svc serve --host 0.0.0.0 --port ${PORT} --workers ${WORKERS:-2}"]
