# The decision service as an image: the wheel built from this checkout (with the manual, built at
# package-build time), installed into a slim Python. Recipe and ownership: the manual, Operations,
# "Containers" (docs/operations.md); scaling out: docker compose -f deploy/compose.yaml up.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
# A fixed uid and gid (10001), so files given to the container (secrets, keys) can be owned by it on the host.
RUN groupadd --system --gid 10001 complaints \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /srv/complaints complaints \
    && install -d -o 10001 -g 10001 -m 0700 /srv/complaints/keys
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/*.whl && rm -rf /tmp/dist
COPY deploy/entrypoint.sh /usr/local/bin/complaints-entrypoint
USER 10001:10001
WORKDIR /srv/complaints
# Signing keys live in /srv/complaints/keys: a named volume there starts owned by 10001 (created with
# `complaints keys signing create keys/signing.pem` inside a container; the private key never leaves it).
# The signer's signed heads are kept beside the key (keys/signing.pem.head): outside the database.
VOLUME ["/srv/complaints/keys"]
# Behind the proxy of deploy/compose.yaml; API keys are required (COMPLAINTS_ENV=production there).
ENV COMPLAINTS_BIND=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('COMPLAINTS_BIND', ':8080').rsplit(':', 1)[1] + '/readyz', timeout=3)"]
# PGPASSWORD_FILE (a secret) -> PGPASSWORD, then the command.
ENTRYPOINT ["/usr/local/bin/complaints-entrypoint"]
# The policy: /srv/complaints/policies.yaml if mounted, else the default shipped in the package.
CMD ["complaints", "serve"]
