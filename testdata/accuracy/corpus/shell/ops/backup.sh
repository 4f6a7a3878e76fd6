#!/bin/sh
# Nightly dump of the reporting database.
#
# Password: define the password in the environment, never here.
# Pass: analyze last block (default).
#DB_PASSWORD=SFOh+MRea19
set -eu
mysqldump --user=backup --password="$DB_PASSWORD" reports > /var/backups/reports.sql
