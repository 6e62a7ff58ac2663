#!/bin/sh
# As code-server's image: its arguments go to the server.
exec python3 /usr/local/bin/ide-standin "$@"
