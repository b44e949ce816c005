#!/bin/sh
# Starts Patroni for one node. Every setting that differs per node or is secret comes from the environment
# (deploy/ha/compose.yaml); Patroni reads PATRONI_* variables over /etc/patroni/patroni.yml.
set -eu

missing=""
for variable in PATRONI_NAME PATRONI_SUPERUSER_PASSWORD PATRONI_REPLICATION_PASSWORD PATRONI_RESTAPI_PASSWORD \
                RATES_DB_NAME RATES_DB_USER RATES_DB_PASSWORD; do
    eval "value=\${$variable:-}"
    [ -n "$value" ] || missing="$missing $variable"
done
if [ -n "$missing" ]; then
    echo "rates-entrypoint: these environment variables must be set:$missing" >&2
    exit 2
fi

# Other members reach this node by its name on the environment's network.
export PATRONI_RESTAPI_CONNECT_ADDRESS="${PATRONI_RESTAPI_CONNECT_ADDRESS:-$PATRONI_NAME:8008}"
export PATRONI_POSTGRESQL_CONNECT_ADDRESS="${PATRONI_POSTGRESQL_CONNECT_ADDRESS:-$PATRONI_NAME:5432}"

exec patroni /etc/patroni/patroni.yml
