#!/bin/sh
# Patroni's post_bootstrap hook: runs once, on the node that initialises the cluster, with a superuser connection
# string as its argument. Creates the Rates database and its owner, as the official image does for POSTGRES_DB and
# POSTGRES_USER in the single topology; the migrations then run as that owner. The password is read from the
# environment inside psql, so it never appears on a command line.
set -eu
psql --no-psqlrc -v ON_ERROR_STOP=1 -v db="$RATES_DB_NAME" -v owner="$RATES_DB_USER" --dbname="$1" <<'SQL'
\set password `printf '%s' "$RATES_DB_PASSWORD"`
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"owner";
SQL
