#!/bin/sh
# docker-compose.yml mounts this into the primary's /docker-entrypoint-initdb.d: the official postgres image runs it
# once, when it creates the database, so that the replica service may stream from this primary (pg_basebackup -R).
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
