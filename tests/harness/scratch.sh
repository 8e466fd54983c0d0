#!/bin/bash
# The scratch directory exists and is removed at exit.
. "$(dirname "$0")/../lib.sh"
tmp=$(t_tmpdir)
echo data >"$tmp/file"
t_ok "the scratch directory is writable" test -s "$tmp/file"
