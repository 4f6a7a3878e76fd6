#!/bin/sh
# Joins this host to the build swarm as a worker.
docker swarm join \
  --token SWMTKN-1-wid4t96pbron0r9p0rpkld0h6yvts3eg90yw1q021we5u0auej-tok2b7n59wne0vay3mk9hco1u \
  10.20.0.4:2377
