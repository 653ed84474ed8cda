# One image for every Portico process: the gateway, the services, their event consumers, outbox
# relays and migrations. The command is chosen per container (see docker-compose.yml and
# deploy/k8s/), e.g. `python -m portico_kernel.migrate identity`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The whole repository: the packages, their Alembic migrations and the contracts.
COPY . .
RUN pip install --no-deps . \
    && groupadd --system --gid 10001 portico \
    && useradd --system --uid 10001 --gid portico --home-dir /app --no-create-home --shell /usr/sbin/nologin portico \
    && mkdir -p /app/var \
    && chown portico:portico /app/var

# Run from the copied tree so the migrations and contracts are found next to the code.
ENV PYTHONPATH=/app \
    PORTICO_CONTRACTS_DIR=/app/contracts \
    PORTICO_DATA_DIR=/app/var

# A gunicorn started in this image believes no proxy's X-Forwarded-For unless told which (gunicorn
# and uvicorn would believe 127.0.0.1's) and opens no control socket (its default path is one per
# user, fought over by every instance); the web commands of docker-compose.yml and deploy/k8s/ pass
# both explicitly too, as portico_kernel/launcher.py does.
ENV FORWARDED_ALLOW_IPS="" \
    GUNICORN_CMD_ARGS="--no-control-socket"

# Numeric, so that Kubernetes can verify runAsNonRoot.
USER 10001:10001

EXPOSE 8000
