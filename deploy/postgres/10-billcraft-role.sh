#!/bin/sh
# Runs once, when the PostgreSQL volume is new: Billcraft's own role, an ordinary one (not a
# superuser, no BYPASSRLS) that owns its database, so that row-level security applies to it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v password="$BILLCRAFT_DB_PASSWORD" <<'SQL'
CREATE ROLE billcraft LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'password';
CREATE DATABASE billcraft OWNER billcraft;
SQL
