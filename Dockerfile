# syntax=docker/dockerfile:1
# Baodao production image: gunicorn serving portal.wsgi on port 8000.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    DJANGO_MEDIA_ROOT=/app/media \
    BAODAO_VAR_DIR=/app/var \
    BAODAO_ARCHIVE_DIR=/app/archive

WORKDIR /app

RUN groupadd --system --gid 10001 baodao \
    && useradd --system --uid 10001 --gid baodao --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin baodao

# Dependencies first, in their own layer, so code changes don't reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project: installed as a package (non-editable) and kept as source in /app, which is
# first on PYTHONPATH so settings find templates/, static/ and locale/ beside it.
COPY manage.py README.md* ./
COPY portal ./portal
COPY resources ./resources
COPY reporting ./reporting
COPY evaluation ./evaluation
RUN pip install --no-deps . && rm -rf build ./*.egg-info
COPY templates ./templates
COPY static ./static
COPY locale ./locale

# Static files are collected at build time under the production settings, which refuse to load
# without their secrets: the ones here are random, exist only for this step and are not kept
# in the image (no database is contacted). Real secrets come from the environment at run time.
RUN export DJANGO_ALLOWED_HOSTS=localhost \
        DATABASE_URL=postgres://build@localhost/build \
        REDIS_URL=redis://localhost:6379/0 \
        BAODAO_VAR_DIR=/tmp/build-var \
        DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        BAODAO_LOOKUP_HASH_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
        BAODAO_FIELD_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    && python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/media /app/var /app/archive \
    && chown baodao:baodao /app/media /app/var /app/archive

USER baodao

EXPOSE 8000

# /healthz with the first allowed host and the proxy's https header, so neither
# ALLOWED_HOSTS nor SECURE_SSL_REDIRECT turns the probe away.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
