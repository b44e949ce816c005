#!/bin/sh
# Patroni's post_bootstrap hook: runs once, on the node that initialises the cluster, as the superuser, with a
# connection string as its argument. Creates the Rates database and its owner, as the official image does for
# POSTGRES_DB and POSTGRES_USER in the single topology, and what db/migrations/0004_least_privilege.sql needs from
# an administrator because the owner that runs the migrations is not a superuser here: the shared group role
# rates_service, and the database's schema public owned by the owner (so its migration can revoke CREATE from
# PUBLIC). The owner is also a member of pg_monitor, as the single topology's superuser owner sees everything: the
# monitoring add-on's postgres_exporter signs in as the owner and reads each member's replication state
# (pg_stat_replication's sync_state is hidden from other roles). The password is read from the environment inside
# psql, so it never appears on a command line.
set -eu
psql --no-psqlrc -v ON_ERROR_STOP=1 -v db="$RATES_DB_NAME" -v owner="$RATES_DB_USER" --dbname="$1" <<'SQL'
\set password `printf '%s' "$RATES_DB_PASSWORD"`
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
GRANT pg_monitor TO :"owner";
CREATE DATABASE :"db" OWNER :"owner";
CREATE ROLE rates_service NOLOGIN;
\connect :db
ALTER SCHEMA public OWNER TO :"owner";
SQL
