#!/bin/bash
# Killed by a signal (what the runner's timeout sends).
. "$(dirname "$0")/../lib.sh"
t_pass "before the signal"
kill -TERM $$
t_pass "never reached"
