#!/bin/bash
# Two points that pass.
. "$(dirname "$0")/../lib.sh"
t_pass "first"
t_is "a" "a" "second"
