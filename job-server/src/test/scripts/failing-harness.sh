#!/bin/sh
# A PROCESS harness that fails while it starts, as a broken SDK installation would.
echo "millrace-test-harness: cannot start, asked for $1"
exit 3
