#!/bin/bash
# restore and the new kernel's boot entry when the boot-entry scheme
# changes (EL 7 -> 8): release 7's grub.cfg has generated menu entries, the
# new kernel left a Boot Loader Specification snippet in
# /boot/loader/entries that it never reads. Restore must run the target's
# grub2-mkconfig and grub2-set-default and check the result; when the
# tools are missing, fail, or write a grub.cfg without the old kernel, it
# says so loudly with the fix and leaves grub.cfg and grubenv as they were
# (the old kernel stays the default). The target's tools are stand-ins,
# shell scripts run by a static busybox in the root (chrooted, as restore
# runs them). The e2e upgrade (tests/e2e/upgrade*.sh) runs the real
# kernel switch.
. "$(dirname "$0")/../lib.sh"

busybox=$(command -v busybox || true)
[[ -n $busybox ]] && file -L "$busybox" | grep -q 'statically linked' ||
	t_skip_all "no static busybox (Debian package busybox-static) to run the stand-in tools in the root"

tmp=$(t_tmpdir)
pkgs=$(t_packages)
old=7.0 new=4.18.0-513.el8.x86_64 id=0e2e-4.18.0-513.el8.x86_64

# The upgraded release-8 root, before restore: release 7's grub.cfg (with
# the one-time entry stage arms, so restore knows the kernel the upgrade
# booted: kernel-core-7.0's /boot/vmlinuz-7.0), and the snippet release 8's
# kernel left, with its kernel image.
base=$tmp/base
t_make_release7_root "$base" "$pkgs"
mkdir -p "$base/boot/grub2" "$base/proc"
echo "BOOT_IMAGE=/vmlinuz-$old root=/dev/sda1 ro" >"$base/proc/cmdline"
grub-editenv "$base/boot/grub2/grubenv" create
grub-editenv "$base/boot/grub2/grubenv" set "saved_entry=CentOS Linux ($old) 7 (Core)"
cat >"$base/boot/grub2/grub.cfg" <<EOT
if [ "\${next_entry}" ] ; then set default="\${next_entry}"; else set default="\${saved_entry}"; fi
menuentry 'CentOS Linux ($old) 7 (Core)' {
	linux16 /vmlinuz-$old root=/dev/sda1 ro
}
source \${config_directory}/custom.cfg
EOT
touch "$base/boot/oslift-upgrade-$old.img"
t_run "$HOST_PREP" --root "$base" stage --packages "$pkgs/release8" --erase legacy --boot-initramfs "/boot/oslift-upgrade-$old.img"
t_is "$T_RC" 0 "stage succeeds, arming the upgrade boot of $old"
t_run "$UPGRADER" --root "$base"
t_is "$T_RC" 0 "the upgrader applies the plan"
mkdir -p "$base/boot/loader/entries"
printf 'title Release 8 (%s)\nversion %s\nlinux /vmlinuz-%s\noptions root=/dev/sda1 ro\n' "$new" "$new" "$new" \
	>"$base/boot/loader/entries/$id.conf"
: >"$base/boot/vmlinuz-$new"
[[ -e $base/bin/sh ]] || { mkdir -p "$base/bin"; cp "$busybox" "$base/bin/busybox"; ln -s busybox "$base/bin/sh"; }
mkdir -p "$base/usr/sbin"
cfg_before=$(sha256sum <"$base/boot/grub2/grub.cfg")
env_before=$(sha256sum <"$base/boot/grub2/grubenv")

# A grub.cfg from a stand-in grub2-mkconfig: ENTRIES are the kernel
# versions to write entries for, in order.
mkconfig() {
	cat <<EOT
#!/bin/sh
[ "\$1" = -o ] || exit 2
# GRUB_DEFAULT (saved unless /etc/default/grub says otherwise), as 00_header.
d='\${saved_entry}'
[ ! -f /etc/default/grub ] || . /etc/default/grub
[ "\${GRUB_DEFAULT:-saved}" = saved ] || d=\$GRUB_DEFAULT
{
	echo 'if [ "\${next_entry}" ] ; then set default="\${next_entry}"; else set default="'"\$d"'"; fi'
	for k in $*; do
		if [ \$k = $new ]; then t=$id; else t="CentOS Linux (\$k) 7 (Core)"; fi
		printf "menuentry '%s' {\\n\\tlinux /vmlinuz-%s root=/dev/sda1 ro\\n}\\n" "\$t" \$k
	done
	echo 'source \${config_directory}/custom.cfg'
} >"\$2"
EOT
}
# grub2-set-default: saved_entry=$1, the whole 1024-byte block rewritten
# (the root has no /dev: '#' padding from a loop).
cat >"$tmp/set-default" <<'EOT'
#!/bin/sh
text=$(printf '# GRUB Environment Block\nsaved_entry=%s\n' "$1")
n=$((1024 - ${#text} - 1))
{ printf '%s\n' "$text"; while [ $n -gt 0 ]; do printf '#'; n=$((n - 1)); done; } >/boot/grub2/grubenv
EOT

# case NAME: a copy of the upgraded root for one case.
case_root() { cp -a "$base" "$tmp/$1"; echo "$tmp/$1"; }
report() { t_json "$1/var/log/oslift/report.json" "$2"; }

# --- the tools are missing ---------------------------------------------------
root=$(case_root missing)
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "missing: restore exits 3"
t_match "$T_OUT" "error: the new kernel is not the default boot entry: the new kernel $new has a Boot Loader Specification entry \(/boot/loader/entries/$id\.conf\) that GRUB's /boot/grub2/grub\.cfg never reads, and the target's grub2-mkconfig is not installed" \
	"missing: restore says on stderr that the new kernel's entry is never read and the tool is missing"
t_match "$T_OUT" "install grub2-tools \(and grubby\), then run the target's 'grub2-mkconfig -o /boot/grub2/grub\.cfg' and 'grubby --set-default /boot/vmlinuz-$new'" \
	"missing: and how to fix it"
t_match "$(cat "$root/var/log/oslift/report.txt")" '^PROBLEM: the new kernel is not the default boot entry: ' "missing: report.txt has a PROBLEM section"
t_match "$(report "$root" 'd["boot_problem"]')" "still boots $old by default" "missing: report.json's boot_problem says the old kernel stays the default"
t_is "$(sha256sum <"$root/boot/grub2/grub.cfg") $(sha256sum <"$root/boot/grub2/grubenv")" "$cfg_before $env_before" \
	"missing: grub.cfg and grubenv are untouched"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored-with-problems "missing: status.json: restored-with-problems"

# --- the snippet's kernel is not there ----------------------------------------------
root=$(case_root no-kernel)
rm "$root/boot/vmlinuz-$new"
mkconfig "$new" "$old" >"$root/usr/sbin/grub2-mkconfig"
cp "$tmp/set-default" "$root/usr/sbin/grub2-set-default"
chmod +x "$root/usr/sbin/grub2-mkconfig" "$root/usr/sbin/grub2-set-default"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "no-kernel: restore exits 3"
t_match "$(report "$root" 'd["boot_problem"]')" "but the kernel or initramfs it names \(/vmlinuz-$new, none\) is missing, so it was not made the default; the system still boots $old" \
	"no-kernel: a snippet whose kernel is missing is never made the default"
t_is "$(sha256sum <"$root/boot/grub2/grub.cfg") $(sha256sum <"$root/boot/grub2/grubenv")" "$cfg_before $env_before" \
	"no-kernel: grub.cfg and grubenv are untouched"

# --- grub2-mkconfig fails ------------------------------------------------------
root=$(case_root fails)
printf '#!/bin/sh\necho "grub2-mkconfig: /etc/default/grub: syntax error" >&2\n: >"$2"\nexit 1\n' >"$root/usr/sbin/grub2-mkconfig"
cp "$tmp/set-default" "$root/usr/sbin/grub2-set-default"
chmod +x "$root/usr/sbin/grub2-mkconfig" "$root/usr/sbin/grub2-set-default"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "fails: restore exits 3"
t_match "$T_OUT" 'grub2-mkconfig: /etc/default/grub: syntax error' "fails: the tool's own output is shown"
t_match "$(report "$root" 'd["boot_problem"]')" "making it the default failed: grub2-mkconfig failed .* grub\.cfg and grubenv were put back as they were; the system boots $old by default" \
	"fails: report.json: it failed, and grub.cfg was put back"
t_is "$(sha256sum <"$root/boot/grub2/grub.cfg") $(sha256sum <"$root/boot/grub2/grubenv")" "$cfg_before $env_before" \
	"fails: grub.cfg (emptied by the tool) and grubenv are as they were"

# --- grub2-mkconfig drops the old kernel ---------------------------------------
root=$(case_root no-fallback)
mkconfig "$new" >"$root/usr/sbin/grub2-mkconfig"
cp "$tmp/set-default" "$root/usr/sbin/grub2-set-default"
chmod +x "$root/usr/sbin/grub2-mkconfig" "$root/usr/sbin/grub2-set-default"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "no-fallback: restore exits 3"
t_match "$(report "$root" 'd["boot_problem"]')" "has no entry for the old kernel, the fallback" \
	"no-fallback: a grub.cfg without the old kernel is refused"
t_is "$(sha256sum <"$root/boot/grub2/grub.cfg") $(sha256sum <"$root/boot/grub2/grubenv")" "$cfg_before $env_before" \
	"no-fallback: grub.cfg and grubenv are put back"

# --- grub2-set-default names another entry -------------------------------------
root=$(case_root wrong-default)
mkconfig "$new" "$old" >"$root/usr/sbin/grub2-mkconfig"
sed 's/saved_entry=%s/saved_entry=nothing-%s/' "$tmp/set-default" >"$root/usr/sbin/grub2-set-default"
chmod +x "$root/usr/sbin/grub2-mkconfig" "$root/usr/sbin/grub2-set-default"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "wrong-default: restore exits 3"
t_match "$(report "$root" 'd["boot_problem"]')" "grubenv's saved_entry does not name the old kernel's entry" \
	"wrong-default: a default that is not the old kernel (the default during the trial) is refused"
t_is "$(sha256sum <"$root/boot/grub2/grub.cfg") $(grub-editenv "$root/boot/grub2/grubenv" list)" \
	"$cfg_before saved_entry=CentOS Linux ($old) 7 (Core)" "wrong-default: grub.cfg and saved_entry are put back"

# --- the target's tools work: the trial boot is armed ------------------------------
# The new kernel boots once (next_entry), the old one stays the default
# until a boot has come up on the new one.
root=$(case_root ok)
mkconfig "$new" "$old" >"$root/usr/sbin/grub2-mkconfig"
cp "$tmp/set-default" "$root/usr/sbin/grub2-set-default"
chmod +x "$root/usr/sbin/grub2-mkconfig" "$root/usr/sbin/grub2-set-default"
unit_link=$root/etc/systemd/system/sysinit.target.wants/oslift-restore.service
# (as the upgrade boot enables it; the upgrader in a root directory does not)
mkdir -p "${unit_link%/*}"
ln -s /usr/lib/systemd/system/oslift-restore.service "$unit_link"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "ok: restore succeeds"
t_match "$(report "$root" '"\n".join(d["restore_actions"])')" "^the new kernel $new boots once, on trial, at the next boot: its Boot Loader Specification entry \(/boot/loader/entries/$id\.conf\) was not read by GRUB's /boot/grub2/grub\.cfg, so restore ran the target's /usr/sbin/grub2-mkconfig -o /boot/grub2/grub\.cfg, kept $old the default \(/usr/sbin/grub2-set-default CentOS Linux \($old\) 7 \(Core\)\) and set next_entry=$id in /boot/grub2/grubenv; the next boot makes $new the default once it has come up on it, $old stays in the menu as the fallback; it runs at the next boot$" \
	"ok: report.json says what it ran, that the old kernel stays the default and the new one boots once"
t_is "$(report "$root" 'd["boot_problem"]')" None "ok: no boot problem"
t_is "$(report "$root" 'd["kernel_trial"]["result"], d["kernel_trial"]["kernel"], d["kernel_trial"]["old_kernel"]')" \
	"('pending', '$new', '$old')" "ok: report.json's kernel_trial: pending, for the new kernel"
t_is "$(grub-editenv "$root/boot/grub2/grubenv" list)" "saved_entry=CentOS Linux ($old) 7 (Core)
next_entry=$id" "ok: grubenv: saved_entry is the old kernel's entry (grub2-set-default), next_entry the new one's"
t_is "$(grep -o 'vmlinuz-[^ ]*' "$root/boot/grub2/grub.cfg" | tr '\n' ' ')" "vmlinuz-$new vmlinuz-$old " \
	"ok: grub.cfg is the target's: the new kernel first, the old one after it"
t_is "$(grep -v '^#' "$root/var/lib/oslift/kernel-trial")" "kernel=$new
entry=$id
old-kernel=$old
result=pending" "ok: the trial is recorded as pending"
t_ok "ok: oslift-restore.service stays enabled, for the trial's boot" test -L "$unit_link"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored "ok: status.json: restored"
t_match "$(t_json "$root/var/lib/oslift/status.json" 'd["message"]')" "the new kernel $new boots once on trial at the next boot, the old one stays the default until it has come up\$" \
	"ok: and its message says the trial is pending"
t_run "$HOST_PREP" --root "$root" status
t_match "$T_OUT" "^kernel trial: pending: the new kernel $new boots once at the next boot \(GRUB's next_entry=$id\); $old stays the default" \
	"ok: host-prep status shows the pending trial"
env_armed=$(sha256sum <"$root/boot/grub2/grubenv")
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "ok: restore with no running kernel to tell (no ROOT/proc/sys/kernel/osrelease) exits 3"
t_match "$T_OUT" "the new kernel $new's trial boot is pending, but the running kernel cannot be told .*nothing changed" \
	"ok: and says why, changing nothing"
t_is "$(sha256sum <"$root/boot/grub2/grubenv") $(grep '^result=' "$root/var/lib/oslift/kernel-trial")" \
	"$env_armed result=pending" "ok: grubenv and the pending trial are as they were"
t_is "$(cat "$root/boot/loader/entries/$id.conf")" "$(cat "$base/boot/loader/entries/$id.conf")" \
	"ok: the snippet, whose options are the old system's, is left as it was"
mkdir -p "$root/proc/sys/kernel"
cp -a "$root" "$tmp/trial-failed"

# --- the trial's boot came up on the new kernel: it becomes the default --------------
echo "$new" >"$root/proc/sys/kernel/osrelease"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "trial ok: restore on the new kernel succeeds"
t_match "$T_OUT" "kernel trial: the new kernel $new came up on its trial boot and boots by default now \(/usr/sbin/grub2-set-default $id\); $old stays in the menu as the fallback" \
	"trial ok: restore says the new kernel came up and is the default now"
t_is "$(grub-editenv "$root/boot/grub2/grubenv" list)" "saved_entry=$id" "trial ok: grubenv's saved_entry is the new kernel's entry, no next_entry"
t_is "$(report "$root" 'd["kernel_trial"]["result"], d["boot_problem"]')" "('committed', None)" \
	"trial ok: report.json's kernel_trial: committed, no boot problem"
t_match "$(cat "$root/var/log/oslift/report.txt")" "^kernel trial: the new kernel $new came up on its trial boot and boots by default now" \
	"trial ok: report.txt says so"
t_is "$(ls "$root/var/lib/oslift/kernel-trial" "$unit_link" 2>/dev/null || true)" "" \
	"trial ok: the trial record is gone and oslift-restore.service disabled itself"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"], d["message"]')" \
	"('restored', 'restored: the new kernel $new came up on its trial boot and boots by default')" "trial ok: status.json: restored, and why"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "trial ok: restore again is harmless"
t_is "$(grub-editenv "$root/boot/grub2/grubenv" list)" "saved_entry=$id" "trial ok: and changes nothing"

# --- the trial's boot came back on the old kernel: it stays the default ---------------
root=$tmp/trial-failed
unit_link=$root/etc/systemd/system/sysinit.target.wants/oslift-restore.service
echo "$old" >"$root/proc/sys/kernel/osrelease"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 3 "trial failed: restore on the old kernel exits 3"
t_match "$T_OUT" "error: the new kernel $new DID NOT COME UP on its trial boot: GRUB booted it once and the machine came back on $old .*, which stays the default" \
	"trial failed: restore says loudly that the new kernel did not come up"
t_match "$T_OUT" "What to do: .*boot it once more with 'grub2-reboot $id'.*'grubby --set-default /boot/vmlinuz-$new'" \
	"trial failed: and what to do"
t_is "$(grub-editenv "$root/boot/grub2/grubenv" list)" "saved_entry=CentOS Linux ($old) 7 (Core)" \
	"trial failed: grubenv: the old kernel stays the default, next_entry is gone (no second trial, no loop)"
t_is "$(report "$root" 'd["kernel_trial"]["result"]')" failed "trial failed: report.json's kernel_trial: failed"
t_match "$(report "$root" 'd["boot_problem"]')" "^the new kernel $new DID NOT COME UP on its trial boot" "trial failed: report.json's boot_problem says so"
t_match "$(cat "$root/var/log/oslift/report.txt")" "^PROBLEM: the new kernel is not the default boot entry: the new kernel $new DID NOT COME UP" \
	"trial failed: report.txt has a PROBLEM section"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" restored-with-problems "trial failed: status.json: restored-with-problems"
t_is "$(grep -E '^(result|booted)=' "$root/var/lib/oslift/kernel-trial")" "result=failed
booted=$old" "trial failed: the record says it failed, and on which kernel the machine came back"
t_is "$(ls "$unit_link" 2>/dev/null || true)" "" "trial failed: oslift-restore.service disabled itself"
t_run "$HOST_PREP" --root "$root" status
t_match "$T_OUT" "^state: restored-with-problems" "trial failed: host-prep status: restored-with-problems"
t_match "$T_OUT" "^message: restored with problems: the new kernel $new did not come up on its trial boot; the old kernel $old stays the default" \
	"trial failed: host-prep status's message"
t_match "$T_OUT" "^kernel trial: FAILED: the new kernel $new did not come up on its trial boot .* What to do: .*grub2-reboot $id" \
	"trial failed: host-prep status explains it and says what to do"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "trial failed: restore again is harmless (already restored)"

# --- GRUB_DEFAULT=0: the first entry would be the new kernel ------------------------
# A trial needs the default to be saved_entry: restore sets GRUB_DEFAULT=saved.
root=$(case_root default-0)
mkconfig "$new" "$old" >"$root/usr/sbin/grub2-mkconfig"
cp "$tmp/set-default" "$root/usr/sbin/grub2-set-default"
chmod +x "$root/usr/sbin/grub2-mkconfig" "$root/usr/sbin/grub2-set-default"
mkdir -p "$root/etc/default"
printf 'GRUB_TIMEOUT=0\nGRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="ro"\n' >"$root/etc/default/grub"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "default-0: restore succeeds"
t_is "$(cat "$root/etc/default/grub")" 'GRUB_TIMEOUT=0
GRUB_DEFAULT=saved
GRUB_CMDLINE_LINUX="ro"' "default-0: GRUB_DEFAULT=0 became saved, the rest of /etc/default/grub as it was"
t_match "$(cat "$root/boot/grub2/grub.cfg")" 'set default="\$\{saved_entry\}"' "default-0: grub.cfg's default is saved_entry"
t_is "$(grub-editenv "$root/boot/grub2/grubenv" list)" "saved_entry=CentOS Linux ($old) 7 (Core)
next_entry=$id" "default-0: the old kernel is the default, the new one boots once"
t_match "$(report "$root" '"\n".join(d["restore_actions"])')" "\(after setting GRUB_DEFAULT=0 to saved in /etc/default/grub\)" \
	"default-0: report.json says GRUB_DEFAULT was changed"

# --- the snippet has the upgrade boot's words ------------------------------------------
# An entry written from the upgrade boot's /proc/cmdline; the old system
# had rd.timeout=300 on its own command line: that one stays.
root=$(case_root upgrade-words)
mkconfig "$new" "$old" >"$root/usr/sbin/grub2-mkconfig"
cp "$tmp/set-default" "$root/usr/sbin/grub2-set-default"
chmod +x "$root/usr/sbin/grub2-mkconfig" "$root/usr/sbin/grub2-set-default"
echo "BOOT_IMAGE=/vmlinuz-$old root=/dev/sda1 ro rd.timeout=300" >"$root/proc/cmdline"
printf 'title Release 8 (%s)\nversion %s\nlinux /vmlinuz-%s\noptions root=/dev/sda1 ro rd.timeout=300 rd.oslift.upgrade rd.shell=0 rd.emergency=reboot rd.oslift.attempts=3 rd.osliftx=1\ngrub_class kernel\n' \
	"$new" "$new" "$new" >"$root/boot/loader/entries/$id.conf"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "upgrade-words: restore succeeds"
t_is "$(cat "$root/boot/loader/entries/$id.conf")" "title Release 8 ($new)
version $new
linux /vmlinuz-$new
options root=/dev/sda1 ro rd.timeout=300 rd.osliftx=1
grub_class kernel" "upgrade-words: the snippet's options lost ours and the unattended words the old system did not have, nothing else"
t_match "$(report "$root" '"\n".join(d["restore_actions"])')" "^took the upgrade boot's kernel arguments \(rd\.oslift\.upgrade rd\.shell=0 rd\.emergency=reboot rd\.oslift\.attempts=3\) out of the new kernel $new's boot entry \(/boot/loader/entries/$id\.conf\): its options are now 'root=/dev/sda1 ro rd\.timeout=300 rd\.osliftx=1'\$" \
	"upgrade-words: report.json says which words went"
t_is "$(grub-editenv "$root/boot/grub2/grubenv" list)" "saved_entry=CentOS Linux ($old) 7 (Core)
next_entry=$id" "upgrade-words: and the new kernel's trial is armed as before"
t_is "$(find "$root/boot/loader/entries" -mindepth 1 | wc -l)" 1 "upgrade-words: no temporary file is left beside the snippet"

# --- no change of scheme -------------------------------------------------------------
root=$(case_root same-scheme)
rm -r "$root/boot/loader"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "no snippet: restore succeeds"
t_is "$(report "$root" 'd["boot_problem"]')" None "no snippet: nothing to do, no problem"
t_is "$(sha256sum <"$root/boot/grub2/grub.cfg")" "$cfg_before" "no snippet: grub.cfg untouched"
