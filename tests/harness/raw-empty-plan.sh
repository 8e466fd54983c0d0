#!/bin/bash
# Not using lib.sh: an empty plan, which prove counts as a pass ("skipped").
echo "1..0"
