#!/bin/bash
# Not using lib.sh: an empty plan, which prove reads as "skipped".
echo "1..0"
