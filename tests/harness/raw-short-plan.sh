#!/bin/bash
# Not using lib.sh: planned three points, ran one.
echo "1..3"
echo "ok 1 - only one"
