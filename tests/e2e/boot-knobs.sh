#!/bin/bash
# Two of the upgrade boot's kernel arguments, for real, from one staged disk
# (boot 1, the demo site plus filler packages, staged with host-prep stage
# --upgrade-arg rd.oslift.checkpoint=K):
#
#   rd.oslift.checkpoint=K   the entry stage wrote has it; the journal on
#                            the disk records the first checkpoint at K
#                            elements (the default would make it 16), and
#                            the next ones at least K apart;
#   rd.oslift.break          (with rd.oslift.watchdog=30, both edited into
#                            the entry in custom.cfg) the upgrade is
#                            applied, the upgrader says it does not reboot
#                            and does not: QEMU still runs well after the
#                            watchdog would have fired, so it was disarmed.
#                            Powered off by the test, the disk then boots
#                            the new release, where restore runs.
#
# Judged from the serial logs and the disk images (debugfs).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

FILLERS=20
K=3
WATCHDOG=30

e2e_require "rd.oslift.checkpoint and rd.oslift.break in the upgrade boot"
tmp=$(t_tmpdir)
staged=$tmp/staged.img

cat >"$tmp/after.sh" <<'EOF'
echo "release $(cat /etc/oslift-release)"
mkdir -p /root/e2e/out
host-prep status >/root/e2e/out/status 2>&1 || true
systemctl show -p ActiveState,Result oslift-restore.service >/root/e2e/out/restore-unit
sync
systemctl poweroff
EOF
start=$SECONDS
if ! E2E_STAGE_ARGS="--upgrade-arg rd.oslift.checkpoint=$K" e2e_staged_image "$staged" "$FILLERS" "$tmp/after.sh"; then
	t_fail "boot 1 staged the upgrade" "$(tail -n 30 "$staged.stage.log" 2>/dev/null)"
	exit 1
fi
t_pass "boot 1 staged the upgrade and armed the one-time boot ($((SECONDS - start)) s)"
t_match "$(e2e_debugfs_cat "$staged" /boot/grub/custom.cfg || true)" "'rd\.oslift\.upgrade' .*'rd\.oslift\.checkpoint=$K'" \
	"stage --upgrade-arg wrote rd.oslift.checkpoint=$K into the entry"

# with NAME ARGS...: a copy of the staged disk whose entry has ARGS after
# rd.oslift.upgrade.
with() {
	local name=$1 words='' w
	shift
	for w; do words+=" '$w'"; done
	cp --sparse=always "$staged" "$tmp/$name.img"
	e2e_image_edit "$tmp/$name.img" /boot/grub/custom.cfg "s/'rd.oslift.upgrade'/&$words/"
}

# ------------------------------------------------------ rd.oslift.checkpoint
cp --sparse=always "$staged" "$tmp/checkpoint.img"
t=$SECONDS
rc=0
"$E2E_TOOLS/qemu.sh" "$tmp/checkpoint.img" "$tmp/serial.checkpoint" --mem 256 --timeout 900 \
	2>"$tmp/qemu.checkpoint.err" || rc=$?
t_is "$rc" 0 "checkpoint: QEMU ended by itself in $((SECONDS - t)) s ($(tr '\n' ' ' <"$tmp/qemu.checkpoint.err"))"
log=$(tr -d '\r' <"$tmp/serial.checkpoint")
t_match "$log" "Command line:.*rd\\.oslift\\.checkpoint=$K" "checkpoint: the kernel got rd.oslift.checkpoint=$K"
t_match "$log" 'upgrade applied in [0-9.]+ s' "checkpoint: the upgrade is applied"
journal=$(e2e_debugfs_cat "$tmp/checkpoint.img" /var/lib/oslift/journal || true)
cps=$(awk '$2 == "checkpoint" {print $3}' <<<"$journal" | tr '\n' ' ')
done_records=$(awk '$2 == "done"' <<<"$journal" | wc -l)
echo "# checkpoint: $done_records done records, checkpoints at: $cps"
t_match "$done_records" '^[1-9][0-9]+$' "checkpoint: the journal has the transaction's done records"
bad='' prev=0 n=0
for c in $cps; do
	((c - prev >= K)) || bad+=" $c (after $prev)"
	prev=$c n=$((n + 1))
done
# The first sync starts at the K-th done record (none runs yet), and
# covers exactly those K; the default would make it 16.
t_is "${cps%% *}" "$K" "checkpoint: the first checkpoint covers the first $K elements"
t_is "$bad" "" "checkpoint: each checkpoint is at least $K elements after the one before"
if ((n >= 2)); then
	t_pass "checkpoint: $n checkpoints for $done_records elements"
else
	t_fail "checkpoint: more than one checkpoint for $done_records elements" "checkpoints at: $cps"
fi
rm -f "$tmp/checkpoint.img"

# ----------------------------------------------------------- rd.oslift.break
with break rd.oslift.break "rd.oslift.watchdog=$WATCHDOG"
t=$SECONDS
"$E2E_TOOLS/qemu.sh" "$tmp/break.img" "$tmp/serial.break" --mem 256 --timeout 900 2>"$tmp/qemu.break.err" &
pid=$!
if e2e_wait_log "$tmp/serial.break" 'rd\.oslift\.break: not rebooting' 800 "$pid"; then
	t_pass "break: the upgrader says it does not reboot ($((SECONDS - t)) s into the boot)"
else
	t_fail "break: the upgrader says it does not reboot" "$(tail -n 20 "$tmp/serial.break")"
fi
# Well past the watchdog's timeout: an armed watchdog would have rebooted.
sleep $((WATCHDOG + 20))
if kill -0 "$pid" 2>/dev/null; then
	t_pass "break: the machine still runs $((WATCHDOG + 20)) s later (the watchdog was disarmed)"
else
	t_fail "break: the machine still runs $((WATCHDOG + 20)) s later" "$(tail -n 20 "$tmp/serial.break")"
fi
log=$(tr -d '\r' <"$tmp/serial.break")
t_match "$log" "watchdog armed: the machine reboots after $WATCHDOG s" "break: the watchdog had been armed for the upgrade"
t_match "$log" 'upgrade applied in [0-9.]+ s' "break: the upgrade is applied"
t_is "$(grep -cE 'softdog: Initiating|reboot: Restarting' <<<"$log" || true)" 0 "break: no reboot, by the watchdog or otherwise"
kill "$pid" # the operator's power-off (qemu.sh kills QEMU)
wait "$pid" 2>/dev/null || true
echo "# break: the upgrade boot ran $((SECONDS - t)) s until powered off"

t=$SECONDS
rc=0
"$E2E_TOOLS/qemu.sh" "$tmp/break.img" "$tmp/serial.break-next" --mem 512 --timeout 900 2>"$tmp/qemu.break-next.err" || rc=$?
t_is "$rc" 0 "break, next boot: QEMU ended by itself in $((SECONDS - t)) s ($(tr '\n' ' ' <"$tmp/qemu.break-next.err"))"
log=$(tr -d '\r' <"$tmp/serial.break-next")
t_is "$(grep -c 'Booting .oslift upgrade' <<<"$log" || true)" 0 "break, next boot: the default entry, not the upgrade"
t_match "$log" '^e2e: release 8$' "break, next boot: the new release"
t_match "$(e2e_debugfs_cat "$tmp/break.img" /root/e2e/out/status || true)" '^state: restored' \
	"break, next boot: host-prep status says restored"
t_match "$(e2e_debugfs_cat "$tmp/break.img" /root/e2e/out/restore-unit || true)" '^Result=success$' \
	"break, next boot: oslift-restore.service succeeded"
