import os

# Assignments split across lines, as formatters leave them.
MAILGUN_SIGNING_KEY = (
    "928c228a660806499fec619958b7bea3"
)

client_secret = \
    "54vsD2SvAS0plBeqBZaxOllvvLugxi4CRJlMiL1g"

DB = dict(
    host="db.internal",
    password=
        "Mult1-L1ne!Pass#9",
)

API_KEY = os.environ.get(
    "API_KEY"
)
