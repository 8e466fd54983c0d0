#!/bin/bash
# Smoke test of the QEMU e2e machinery (no oslift code involved), two boots
# under TCG:
#  1. the default GRUB entry: the guest reaches multi-user, the host fetches
#     the demo site (release 7, installed with Debian's rpm) through the
#     forwarded port and sends "go"; the guest builds an initramfs with its
#     own dracut (as host-prep stage will), arms a one-time GRUB entry the
#     way host-prep does (custom.cfg + next_entry) and reboots;
#  2. the one-time entry: the guest checks it got there and that GRUB
#     cleared next_entry, and powers off.
# Afterwards the host reads what the guest wrote from the image (debugfs).
# Timings go to the TAP output as comments.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

e2e_require "e2e smoke"
tmp=$(t_tmpdir)
root=$tmp/root image=$tmp/disk.img

t=$SECONDS
base=$(e2e_rootfs)
t_pass "base rootfs: $base ($((SECONDS - t)) s)"
echo "# base rootfs: $(tr '\n' ' ' <"$base/../info")"

t=$SECONDS
cp -a --reflink=auto "$base" "$root"
pkgs=$(e2e_packages)
t_ok "release 7 of the demo site installs with Debian's rpm" e2e_install_release7 "$root" "$pkgs"
t_is "$(t_rpm "$root" -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}\n' | sort | tr '\n' ' ')" \
	"base-release-7.0-1 debian-sh-1.0-7 website-7.0-1 " "the rpmdb holds release 7"
t_ok "website.service is enabled by its %post" \
	test -L "$root/etc/systemd/system/multi-user.target.wants/website.service"

# Boot 1. Runs after multi-user, waits for the host's "go" (sent once the
# host fetched the site).
e2e_queue "$root" 1-smoke.sh <<'EOF'
set -e
echo "release $(cat /etc/oslift-release), kernel $(uname -r)"
rpm -qa | sort
systemctl is-active website.service
e2e-wait-go 300
echo "go received"
t=$(date +%s)
dracut --quiet --force /tmp/x.img
echo "dracut in the guest: $(( $(date +%s) - t )) s, $(( $(stat -c %s /tmp/x.img) / 1024 )) KiB"
echo "free: $(free -m | awk '/Mem:/ {print $2 " MB total, " $3 " MB used"}')"
echo "smoke ok" >/root/e2e/smoke-marker
kver=$(uname -r)
cat >/boot/grub/custom.cfg <<CFG
menuentry 'e2e one-time entry' --id e2e-once {
	search --no-floppy --label --set=root root
	linux /boot/vmlinuz-$kver root=LABEL=root ro console=ttyS0,115200 panic=5 SYSTEMD_COLORS=0 e2e.once=1
	initrd /boot/initrd.img-$kver
}
CFG
grub-editenv /boot/grub/grubenv set next_entry=e2e-once
grub-editenv /boot/grub/grubenv list
systemctl reboot
EOF
# Boot 2, through the one-time entry.
e2e_queue "$root" 2-once.sh <<'EOF'
set -e
cat /proc/cmdline
grep -qw e2e.once=1 /proc/cmdline
echo "grubenv: $(grub-editenv /boot/grub/grubenv list | tr '\n' ' ')"
systemctl poweroff
EOF
t=$SECONDS
t_ok "make-image.sh builds a 1 GiB image" "$E2E_TOOLS/make-image.sh" "$root" "$image" 1024
echo "# copy + packages + image: $((SECONDS - t)) s, image $(du -m "$image" | cut -f1) MB allocated"

# --- boot 1 ---
port=$(e2e_free_port)
t=$SECONDS
"$E2E_TOOLS/qemu.sh" "$image" "$tmp/boot1.log" --timeout 600 --hostfwd "$port" 2>"$tmp/qemu1.err" &
qemu=$!
if e2e_wait_log "$tmp/boot1.log" 'e2e: driver: boot 1 reached multi-user' 300 $qemu; then
	t_pass "boot 1 reached multi-user ($((SECONDS - t)) s after QEMU started)"
else
	t_fail "boot 1 reached multi-user" "serial log tail:" "$(tail -n 30 "$tmp/boot1.log")"
fi
t_match "$(grep -a 'Reached target' "$tmp/boot1.log" || true)" 'Reached target.*Multi-User' "systemd says so too"

page=$(e2e_wait_http "http://127.0.0.1:$port/" 120 $qemu || true)
echo "# site answered $((SECONDS - t)) s after QEMU started"
t_match "$page" 'release 7' "the host fetches the site's index page (release 7)"
t_is "$(e2e_http "http://127.0.0.1:$port/data/hello.txt" || true)" "hello from the site data" \
	"and the site data owned by no package"
t_is "$(e2e_http "http://127.0.0.1:$port/cgi-bin/go" || true)" "go" "/cgi-bin/go answers"

rc=0
wait $qemu || rc=$?
t_is "$rc" 0 "boot 1 ends by itself: $(cat "$tmp/qemu1.err")"
t_match "$(grep -a '^e2e: ' "$tmp/boot1.log" || true)" '^e2e: driver: 1-smoke.sh exited 0' "the boot-1 script succeeded"
grep -a '^e2e: ' "$tmp/boot1.log" | sed 's/^/# /' || true
t_match "$(tr -d '\r' <"$tmp/boot1.log")" 'reboot: Restarting system' "the guest rebooted"

# --- boot 2 ---
rc=0
"$E2E_TOOLS/qemu.sh" "$image" "$tmp/boot2.log" --timeout 300 \
	--expect '^e2e: driver: 2-once.sh exited 0' 2>"$tmp/qemu2.err" || rc=$?
t_is "$rc" 0 "boot 2 runs its script and ends: $(cat "$tmp/qemu2.err")"
grep -a '^e2e: ' "$tmp/boot2.log" | sed 's/^/# /' || true
t_match "$(grep -a 'Command line:' "$tmp/boot2.log" || true)" 'e2e\.once=1' "boot 2 took the one-time entry"
t_match "$(tr -d '\r' <"$tmp/boot2.log")" 'reboot: Power down' "the guest powered off"

# --- the disk afterwards ---
t_is "$(e2e_debugfs_cat "$image" /root/e2e/smoke-marker || true)" "smoke ok" \
	"debugfs reads the guest's marker from the image"
t_match "$(e2e_debugfs_cat "$image" /root/e2e/log/1-smoke.log || true)" '^dracut in the guest: ' \
	"and the boot-1 script's log"
t_is "$(e2e_debugfs_cat "$image" /root/e2e/boot-count || true)" 2 "the driver counted two normal boots"
t_is "$(e2e_debugfs_cat "$image" /root/e2e/queue/2-once.sh 2>&1 || echo gone)" "gone" \
	"the scripts left the queue"
t_match "$(e2e_debugfs_cat "$image" /boot/grub/grubenv || true)" '^next_entry=$' \
	"GRUB cleared next_entry in grubenv"
