#!/bin/bash
# The upgrade boot's kernel argument, as each side spells it: host-prep
# writes it into the one-time GRUB entry, the upgrader and the dracut
# module (oslift-upgrade.service, oslift-upgrade.sh) look for it. Both
# programs are built from liboslift/kernel-args.h; the dracut module's
# files cannot include it, so they are held to it here, and the built
# binaries are checked to carry it. (tests/unit/test-kernel-args.c has
# host-prep's command lines read back by the upgrader's parser.)
. "$(dirname "$0")/../lib.sh"

top=$TESTS_DIR/..
# kernel-args.h's OSLIFT_ARG_* as "NAME value", string concatenation resolved.
args=$(t_c_defines OSLIFT_ARG_ "$top/liboslift/kernel-args.h")
key=$(awk '$1 == "OSLIFT_ARG_UPGRADE" {print $2}' <<<"$args")
t_is "$key" rd.oslift.upgrade "kernel-args.h names the upgrade key as the manual pages do"

for bin in "$HOST_PREP" "$UPGRADER"; do
	t_ok "$(basename "$bin") carries $key" grep -qaw -- "$key" "$bin"
done
t_is "$(sed -n 's/^ConditionKernelCommandLine=//p' "$top/dracut-module/oslift-upgrade.service")" "$key" \
	"oslift-upgrade.service starts on $key"
t_is "$(grep -c "^if getargbool 0 $key; then\$" "$top/dracut-module/oslift-upgrade.sh")" 1 \
	"oslift-upgrade.sh tests $key"
# Any other rd.oslift.* word in the dracut module's files is one the header has.
known=$(awk '{print $2}' <<<"$args")
for w in $(grep -ohE 'rd\.oslift\.[a-z]+' "$top"/dracut-module/* | sort -u); do
	t_match "$known" "^$w\$" "the dracut module's $w is in kernel-args.h"
done
