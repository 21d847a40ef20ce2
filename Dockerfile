# The web image for `docker compose up` (development) and for production behind gunicorn.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV_FILE=/dev/null

WORKDIR /app

# Dependencies first, so that editing the code does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir newsroom articles comments && touch newsroom/__init__.py articles/__init__.py comments/__init__.py \
    && pip install --upgrade pip && pip install --editable .

COPY . .
# The translation catalogues' .mo files are built, not committed: gettext's msgfmt compiles them, then goes.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && DJANGO_DEBUG=true python manage.py compilemessages \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

EXPOSE 8000
ENV GUNICORN_BIND=0.0.0.0:8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "newsroom.wsgi"]
