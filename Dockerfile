# The decision service as an image: the wheel built from this checkout, installed into a slim Python.
# Scaling out (README): docker compose -f deploy/compose.yaml up  (PostgreSQL, two instances, nginx in front).
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /srv/complaints complaints
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/*.whl && rm -rf /tmp/dist
USER complaints
WORKDIR /srv/complaints
# Where deploy/compose.yaml keeps the signer's signed heads (a volume: made here so it belongs to complaints).
RUN mkdir -p /srv/complaints/heads
# Behind the proxy of deploy/compose.yaml; API keys are required (COMPLAINTS_ENV=production there).
ENV COMPLAINTS_BIND=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('COMPLAINTS_BIND', ':8080').rsplit(':', 1)[1] + '/readyz', timeout=3)"]
# The policy: /srv/complaints/policies.yaml if mounted, else the default shipped in the package.
CMD ["complaints", "serve"]
