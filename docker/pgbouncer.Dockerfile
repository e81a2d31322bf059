# Debian's pgbouncer in transaction mode, configured by the script the fleet tests run
# (scripts/pgbouncer-config).
#   docker build -f docker/pgbouncer.Dockerfile -t freshlane-pgbouncer .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends pgbouncer postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/freshlane-pgbouncer \
 && chown postgres /etc/freshlane-pgbouncer
COPY scripts/pgbouncer-config /usr/local/bin/pgbouncer-config
USER postgres
EXPOSE 6432
# The password comes from the environment at start; nothing secret is in the image.
CMD ["sh", "-c", "pgbouncer-config /etc/freshlane-pgbouncer \"$DB_HOST\" \"$DB_PORT\" \"$DB_USER\" \"$DB_PASSWORD\" 0.0.0.0 6432 && exec pgbouncer /etc/freshlane-pgbouncer/pgbouncer.ini"]
