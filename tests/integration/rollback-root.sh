#!/bin/bash
# host-prep rollback in root-directory mode: the undo set the upgrader
# takes before its first write puts the release-7 root back after the
# upgrade to 8, file by file and in the rpmdb, and verifies it.
. "$(dirname "$0")/../lib.sh"

tmp=$(t_tmpdir)
pkgs=$(t_packages)

# What a rollback cannot give back, and why, left out of the comparison:
# oslift's own state and logs (the undo set, status, upgrade.log and
# report), /var/log, which the upgrader made to hold its log, and the log
# the test packages' scriptlets append to in a directory no package owns
# (a scriptlet's writes to files no package owns are outside the undo set:
# host-prep(8), "rollback").
not_compared=(./var/lib/oslift './var/lib/oslift/*' ./var/log ./var/log/oslift './var/log/oslift/*'
	./var/lib/scripted/scriptlets.log)

# make_upgraded ROOT: release 7 with user data, its digest, rpm -qa and
# rpm -Va recorded in ROOT.before*, then staged and upgraded to 8.
make_upgraded() {
	local root=$1
	t_make_release7_root "$root" "$pkgs"
	mkdir -p "$root/home/alice" "$root/var/www/site"
	echo "alice's notes" >"$root/home/alice/notes.txt"
	echo "<p>the site's own page</p>" >"$root/var/www/site/page.html"
	t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort >"$root.before-qa"
	t_rpm "$root" -Va >"$root.before-va" 2>&1 || true
	t_tree_digest "$root" "${not_compared[@]}" >"$root.before-digest"
	(cd "$root" && sha256sum home/alice/notes.txt var/www/site/page.html var/lib/site/data.bin) >"$root.user-data"
	"$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy >"$root.stage.log" 2>&1
	"$UPGRADER" --root "$root" >"$root.upgrade.log" 2>&1
}

root=$tmp/root
t_make_release7_root "$tmp/check-root" "$pkgs"
t_run "$HOST_PREP" --root "$tmp/check-root" check --packages "$pkgs/release8" --erase legacy
t_match "$T_OUT" "^info +undo-set: the undo set for 'host-prep rollback' takes about [0-9]+ KiB in /var/lib/oslift/undo: the rpmdb \([1-9][0-9]* KiB\).* the old versions of 11 replaced files \([0-9]+ KiB\) kept by hard links$" \
	"check estimates the undo set: the rpmdb, copies, the files its links keep"
estimate=$(sed -n "s/^info *undo-set: .* takes about \([0-9]*\) KiB.*/\1/p" <<<"$T_OUT")
make_upgraded "$root"
t_is "$?" 0 "staged and upgraded"
t_match "$(cat "$root/var/lib/oslift/plan")" '^rollback links$' "the plan asks for an undo set (the default)"
t_ok "the undo set is complete" test -f "$root/var/lib/oslift/undo/manifest"
t_ok "and no half-taken one is left" test ! -e "$root/var/lib/oslift/undo.tmp"
undo_line=$(grep '^undo set taken in' "$root.upgrade.log")
t_match "$undo_line" '^undo set taken in [0-9.]+ s: [0-9]+ paths of 10 packages \([0-9]+ bytes installed\), [1-9][0-9]* links, [1-9][0-9]* copies, [0-9]+ bytes copied' \
	"the upgrader says what the undo set took: links for the 10 packages' files, copies"
applied=$(sed -n 's/^upgrade applied in \([0-9.]*\) s.*/\1/p' "$root.upgrade.log")
read -r undo_s installed copied < <(sed -E 's/^undo set taken in ([0-9.]+) s: .*\(([0-9]+) bytes installed\).* ([0-9]+) bytes copied.*/\1 \2 \3/' <<<"$undo_line")
undo_bytes=$(du -sb --count-links "$root/var/lib/oslift/undo" | cut -f1)
echo "# check estimated the undo set at $estimate KiB"
echo "# undo set: $copied bytes copied (rpmdb and %config files), $undo_bytes bytes in all with the links' files, for $installed bytes installed by the 10 packages it covers; it took $undo_s s of the upgrade's $applied s"
t_ok "the undo set links the old /var/www/webapp/index.html (no copy)" \
	test "$(stat -c %h "$root/var/lib/oslift/undo/links/var/www/webapp/index.html")" -eq 1
t_match "$(cat "$root/var/lib/oslift/undo/links/var/www/webapp/index.html")" 'webapp 7' "which keeps release 7's content"
t_ok "the rpmdb is copied whole" test -f "$root/var/lib/oslift/undo/rpmdb/rpmdb.sqlite"
t_ok "the admin's %config file is copied" test -f "$root/var/lib/oslift/undo/copies/etc/webapp/webapp.conf"
t_match "$(t_rpm "$root" -q webapp)" '^webapp-8\.0-1' "upgraded to release 8"
t_run "$HOST_PREP" --root "$root" restore
t_is "$T_RC" 0 "restore, as the first boot of release 8 runs it"
t_run "$HOST_PREP" --root "$root" status
t_match "$T_OUT" "^undo set: [0-9]+ bytes in $root/var/lib/oslift/undo \('host-prep commit' removes it\)$" "status shows the undo set's size"

t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 3 "cancel keeps the undo set of an upgraded root"
t_match "$T_OUT" "'host-prep commit' to keep the upgrade, or 'host-prep rollback'" "and names the two ways on"

# The admin changes a %config file of release 8 after the upgrade.
echo "# changed on release 8" >>"$root/etc/webapp/webapp.conf"
changed=$(sha256sum <"$root/etc/webapp/webapp.conf")

t_run "$HOST_PREP" --root "$root" rollback --boot-initramfs
t_is "$T_RC" 2 "rollback --boot-initramfs without an image is a usage error"
t_run "$HOST_PREP" --root "$root" rollback
t_is "$T_RC" 0 "host-prep rollback asks for the rollback"
t_ok "as a request in the state directory" test -f "$root/var/lib/oslift/rollback"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" rolling-back "status.json says rolling-back"

# Cut short after the files are back, before the rpmdb: run again, it ends
# where an uninterrupted rollback ends.
OSLIFT_CRASH_AT=rollback-restored t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 137 "the rollback is killed midway (SIGKILL)"
t_match "$(t_rpm "$root" -q webapp)" '^webapp-8\.0-1' "the rpmdb is still release 8's"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 3 "cancel refuses while the rollback is unfinished"
t_ok "and removes nothing" test -f "$root/var/lib/oslift/undo/manifest"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 0 "run again, the rollback finishes"
t_match "$T_OUT" 'going on with the rollback begun before' "going on from what the first run recorded"
t_match "$T_OUT" '^rolled back: the old system is back$' "and says the old system is back"
t_is "$(t_rpm "$root" -qa --qf '%{NEVRA}\n' | sort)" "$(cat "$root.before-qa")" "rpm -qa is release 7's again"
t_is "$(t_rpm "$root" -Va 2>&1)" "$(cat "$root.before-va")" "rpm -Va says what it said before the upgrade (the admin's edit of 7's webapp.conf)"
t_is "$(cat "$root/etc/webapp/webapp.conf.oslift-rollback" | sha256sum)" "$changed" \
	"the admin's change made after the upgrade is kept as webapp.conf.oslift-rollback"
t_ok "webapp.conf is 7's with the admin's edit from before" grep -qx '# edited by the admin' "$root/etc/webapp/webapp.conf"
rm "$root/etc/webapp/webapp.conf.oslift-rollback"
t_is "$(t_tree_digest "$root" "${not_compared[@]}")" "$(cat "$root.before-digest")" \
	"every other path is as before the upgrade: type, mode, owner, symlink target, content"
t_is "$(cd "$root" && sha256sum home/alice/notes.txt var/www/site/page.html var/lib/site/data.bin)" "$(cat "$root.user-data")" \
	"user data (/home, /var/www, /var/lib/site) untouched throughout"
t_is "$(t_json "$root/var/lib/oslift/status.json" 'd["state"]')" rolled-back "status.json says rolled-back"
t_ok "the request is gone" test ! -e "$root/var/lib/oslift/rollback"
t_run "$UPGRADER" --root "$root"
t_is "$T_RC" 1 "the upgrader does not upgrade a rolled-back root again by itself"
t_match "$T_OUT" 'was rolled back: nothing is done' "and says why"

t_run "$HOST_PREP" --root "$root" commit
t_is "$T_RC" 0 "commit"
t_match "$T_OUT" '^removed the undo set \([0-9]+ bytes\)' "says what it removed"
t_ok "the undo set is gone" test ! -e "$root/var/lib/oslift/undo"
t_run "$HOST_PREP" --root "$root" rollback
t_is "$T_RC" 3 "a rolled-back root is not rolled back again"
t_match "$T_OUT" '"rolled-back", not applied: there is nothing to roll back' "with the reason"
t_run "$HOST_PREP" --root "$root" cancel
t_is "$T_RC" 0 "cancel cleans up after the rollback"
t_ok "the state directory is gone" test ! -e "$root/var/lib/oslift"
t_is "$(t_tree_digest "$root" ./var/log ./var/log/oslift './var/log/oslift/*' ./var/lib/scripted/scriptlets.log)" \
	"$(cat "$root.before-digest")" "the root is the release 7 root again, but for the logs"

# A file damaged in the undo set is named by the rollback's verification.
root2=$tmp/root2
make_upgraded "$root2"
echo "damaged" >>"$root2/var/lib/oslift/undo/links/var/www/webapp/index.html"
"$HOST_PREP" --root "$root2" rollback >/dev/null
t_run "$UPGRADER" --root "$root2"
t_is "$T_RC" 6 "a rollback whose files do not verify exits 6"
t_match "$T_OUT" '/var/www/webapp/index.html: its content does not match the old rpmdb' "naming the file"
t_is "$(t_json "$root2/var/lib/oslift/status.json" 'd["state"]')" rolled-back-with-problems "status.json says rolled-back-with-problems"
t_match "$(t_json "$root2/var/lib/oslift/status.json" 'd["message"]')" '1 files do not match the old rpmdb: /var/www/webapp/index.html' \
	"and its message names it"

# commit keeps the upgrade: rollback then refuses.
root4=$tmp/root4
make_upgraded "$root4"
t_run "$HOST_PREP" --root "$root4" commit
t_is "$T_RC" 0 "commit on an upgraded root"
t_ok "removes the undo set" test ! -e "$root4/var/lib/oslift/undo"
t_run "$HOST_PREP" --root "$root4" status
t_ok "status no longer shows one" bash -c '! grep -q "^undo set" <<<"$1"' _ "$T_OUT"
t_run "$HOST_PREP" --root "$root4" rollback
t_is "$T_RC" 3 "rollback after commit is refused"
t_match "$T_OUT" "no undo set.*'host-prep commit' removed it" "with the reason"
t_ok "and writes no request" test ! -e "$root4/var/lib/oslift/rollback"
t_match "$(t_rpm "$root4" -q webapp)" '^webapp-8\.0-1' "the upgrade stays"
t_run "$HOST_PREP" --root "$root4" commit
t_is "$T_RC" 0 "commit again is harmless"
t_match "$T_OUT" 'no undo set .*: nothing to remove' "and says there is nothing to remove"

# Cut while the undo set is taken, then right after: the tree is not
# changed before it is complete, a half-taken set is taken again, a
# complete one is kept; the rollback then ends as always.
root6=$tmp/root6
t_make_release7_root "$root6" "$pkgs"
before6=$(t_tree_digest "$root6" "${not_compared[@]}")
"$HOST_PREP" --root "$root6" stage --packages "$pkgs/release8" --erase legacy >/dev/null 2>&1
OSLIFT_CRASH_AT=undo-copied t_run "$UPGRADER" --root "$root6"
t_is "$T_RC" 137 "killed while the undo set is taken"
t_ok "it is left incomplete, in undo.tmp" test -d "$root6/var/lib/oslift/undo.tmp" -a ! -e "$root6/var/lib/oslift/undo"
t_is "$(t_tree_digest "$root6" "${not_compared[@]}")" "$before6" "and the tree is not changed"
OSLIFT_CRASH_AT=undo-taken t_run "$UPGRADER" --root "$root6"
t_is "$T_RC" 137 "killed right after the undo set is complete"
t_match "$T_OUT" 'removing the undo set an earlier run did not finish taking' "the half-taken one was taken again"
t_is "$(t_tree_digest "$root6" "${not_compared[@]}")" "$before6" "still nothing changed in the tree"
t_run "$UPGRADER" --root "$root6"
t_is "$T_RC" 0 "the next run upgrades"
t_match "$T_OUT" 'keeping the undo set /var/lib/oslift/undo taken before' "with the complete undo set it found"
"$HOST_PREP" --root "$root6" rollback >/dev/null
t_run "$UPGRADER" --root "$root6"
t_is "$T_RC" 0 "and rolls back from it"
t_is "$(t_tree_digest "$root6" "${not_compared[@]}")" "$before6" \
	"to the tree of before"

# --rollback=none: no undo set, and rollback says so.
root3=$tmp/root3
t_make_release7_root "$root3" "$pkgs"
"$HOST_PREP" --root "$root3" stage --packages "$pkgs/release8" --erase legacy --rollback=none >/dev/null 2>&1
t_ok "--rollback=none writes no rollback line" bash -c '! grep -q "^rollback" "$1"' _ "$root3/var/lib/oslift/plan"
"$UPGRADER" --root "$root3" >/dev/null 2>&1
t_ok "and the upgrader keeps no undo set" test ! -e "$root3/var/lib/oslift/undo"
t_run "$HOST_PREP" --root "$root3" rollback
t_is "$T_RC" 3 "rollback is refused"
t_match "$T_OUT" '\-\-rollback=none' "naming --rollback=none as a cause"
t_run "$HOST_PREP" --root "$root3" stage --packages "$pkgs/release8" --rollback=snapshot
t_is "$T_RC" 2 "an unknown --rollback mode is a usage error"

# A real EL8 Berkeley DB: the upgrader converts it to sqlite, the rollback
# puts the original Packages file back byte for byte, and removes the
# directories rpm made for release 8's files.
if bdb=$(t_fixture rpmdb-el8-bdb/Packages); then
	root5=$tmp/el8
	mkdir -p "$root5/var/lib/rpm"
	cp "$bdb" "$root5/var/lib/rpm/Packages"
	before=$(t_tree_digest "$root5")
	"$HOST_PREP" --root "$root5" stage --packages "$pkgs/release8" >/dev/null 2>&1
	"$UPGRADER" --root "$root5" >/dev/null 2>&1
	t_ok "the EL8 root is upgraded to sqlite" test -f "$root5/var/lib/rpm/rpmdb.sqlite"
	"$HOST_PREP" --root "$root5" restore >/dev/null 2>&1
	"$HOST_PREP" --root "$root5" rollback >/dev/null
	t_run "$UPGRADER" --root "$root5"
	t_is "$T_RC" 0 "the EL8 root rolls back, every file verified"
	t_is "$(sha256sum <"$root5/var/lib/rpm/Packages")" "$(sha256sum <"$bdb")" "the Berkeley DB is back byte for byte"
	t_is "$(ls "$root5/var/lib/rpm")" Packages "and nothing else is in /var/lib/rpm"
	"$HOST_PREP" --root "$root5" cancel >/dev/null
	# Left out besides the logs: /var/tmp, where rpm writes its scriptlets,
	# and the scriptlets' own log directory; both owned by no package.
	t_is "$(t_tree_digest "$root5" ./var/log ./var/log/oslift './var/log/oslift/*' ./var/tmp ./var/lib/scripted \
		./var/lib/scripted/scriptlets.log)" "$before" \
		"the tree is as before: the directories rpm made for release 8 are gone"
else
	t_skip "rollback of an EL8 Berkeley DB root" "fixture rpmdb-el8-bdb absent"
fi

# The boot configuration: a root armed for the upgrade boot (GRUB in
# /boot/grub2, loader entries), whose boot files the upgrade then changes
# as a new kernel's scriptlets would. host-prep rollback --boot-initramfs
# arms the rollback boot as on a running system; the upgrader switches it
# on again, puts the old grub.cfg, loader entries and custom.cfg back, the
# grubenv last and in place, and takes the blocks of both one-time boots
# out: /boot is as before the stage, byte for byte.
if command -v grub-editenv >/dev/null; then
	kver=7.0 # release 7's kernel-core: /boot/vmlinuz-7.0
	image=/boot/oslift-upgrade-$kver.img
	make_bios_root() {
		local root=$1
		t_make_release7_root "$root" "$pkgs"
		mkdir -p "$root/boot/grub2" "$root/boot/loader/entries" "$tmp/proc"
		echo "upgrade initramfs" >"$root$image"
		cat >"$root/boot/grub2/grub.cfg" <<EOF
if [ -s \$prefix/grubenv ]; then
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
else
   set default="\${saved_entry}"
fi
menuentry 'release 7 ($kver)' {
	linux /boot/vmlinuz-$kver root=LABEL=root ro
}
### BEGIN /etc/grub.d/41_custom ###
if [ -f  \${config_directory}/custom.cfg ]; then
  source \${config_directory}/custom.cfg
elif [ -z "\${config_directory}" -a -f  \$prefix/custom.cfg ]; then
  source \$prefix/custom.cfg;
fi
### END /etc/grub.d/41_custom ###
EOF
		printf 'title release 7\nlinux /vmlinuz-%s\n' "$kver" >"$root/boot/loader/entries/abc-$kver.conf"
		grub-editenv "$root/boot/grub2/grubenv" create
		grub-editenv "$root/boot/grub2/grubenv" set "saved_entry=abc-$kver"
		printf 'BOOT_IMAGE=/boot/vmlinuz-%s root=LABEL=root ro console=ttyS0\n' "$kver" >"$tmp/proc/cmdline"
	}
	hp() { t_run env OSLIFT_PROC="$tmp/proc" OSLIFT_SYSFS="$tmp/nosys" "$HOST_PREP" "$@"; }
	boot_digest() { (cd "$1/boot" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum; }
	# upgrade_armed ROOT: staged with the boot armed, upgraded, restored,
	# and the boot files changed as release 8's kernel would.
	upgrade_armed() {
		local root=$1
		hp --root "$root" stage --packages "$pkgs/release8" --erase legacy --boot-initramfs "$image"
		[[ $T_RC == 0 ]] || echo "# stage: $T_OUT"
		"$UPGRADER" --root "$root" >"$root.upgrade.log" 2>&1
		hp --root "$root" restore
		sed -i 's/release 7 (7.0)/release 8 (8.0)/; s/vmlinuz-7.0/vmlinuz-8.0/' "$root/boot/grub2/grub.cfg"
		printf 'title release 8\n' >"$root/boot/loader/entries/abc-8.0.conf"
		grub-editenv "$root/boot/grub2/grubenv" set "saved_entry=abc-8.0"
	}
	root7=$tmp/bios
	make_bios_root "$root7"
	boot_before=$(boot_digest "$root7")
	tree_before=$(t_tree_digest "$root7" "${not_compared[@]}")
	env_inode=$(stat -c %i "$root7/boot/grub2/grubenv")
	upgrade_armed "$root7"
	t_match "$(cat "$root7.upgrade.log")" 'the undo set holds the boot configuration: 5 paths \(GRUB.s grub.cfg, custom.cfg, grubenv, the loader entries\)' \
		"the undo set takes the boot configuration (grub.cfg, custom.cfg, grubenv, the loader entries)"
	t_match "$(cat "$root7/var/lib/oslift/undo/boot/list")" $'\nC 0600 - /boot/grub2/custom.cfg\n' \
		"custom.cfg, made by the stage's arm, is recorded as absent before"
	hp --root "$root7" rollback --boot-initramfs "$image"
	[[ $T_RC == 0 ]] || echo "# rollback: $T_OUT"
	t_is "$T_RC" 0 "host-prep rollback --boot-initramfs arms the rollback boot"
	t_match "$(grub-editenv "$root7/boot/grub2/grubenv" list)" '^next_entry=oslift-upgrade$' "next_entry selects it"
	t_ok "with our block in custom.cfg" grep -q '^### BEGIN oslift ###$' "$root7/boot/grub2/custom.cfg"
	t_match "$(t_json "$root7/var/lib/oslift/status.json" 'd["message"]')" '^rollback armed: the next boot puts the old system back' \
		"status says the rollback boot is armed"
	# GRUB uses next_entry up (save_env): the upgrader must switch it on again.
	grub-editenv "$root7/boot/grub2/grubenv" set next_entry=
	OSLIFT_CRASH_AT=rollback-boot-files t_run "$UPGRADER" --root "$root7"
	t_is "$T_RC" 137 "cut short after the old grub.cfg and custom.cfg are back, before the grubenv"
	t_match "$(grub-editenv "$root7/boot/grub2/grubenv" list)" '^next_entry=oslift-upgrade$' \
		"the switch is on: a boot now would be the rollback boot again"
	t_ok "whose block custom.cfg still holds" grep -q '^### BEGIN oslift ###$' "$root7/boot/grub2/custom.cfg"
	grub-editenv "$root7/boot/grub2/grubenv" set next_entry=
	OSLIFT_CRASH_AT=rollback-request-removed t_run "$UPGRADER" --root "$root7"
	t_is "$T_RC" 137 "run again, cut short after the rollback is recorded, before the grubenv"
	t_is "$(t_json "$root7/var/lib/oslift/status.json" 'd["state"]')" rolled-back "status.json says rolled-back"
	t_match "$(grub-editenv "$root7/boot/grub2/grubenv" list)" '^next_entry=oslift-upgrade$' "and the switch is still on"
	grub-editenv "$root7/boot/grub2/grubenv" set next_entry=
	t_run "$UPGRADER" --root "$root7"
	t_is "$T_RC" 0 "the next run finishes it"
	t_match "$T_OUT" 'putting the rest of its boot configuration back' "going on with the boot configuration"
	t_is "$(boot_digest "$root7")" "$boot_before" \
		"/boot is as before the stage: grub.cfg, the loader entries, no custom.cfg, grubenv byte for byte"
	t_is "$(stat -c %i "$root7/boot/grub2/grubenv")" "$env_inode" "grubenv was rewritten in place (the same inode)"
	t_is "$(t_tree_digest "$root7" "${not_compared[@]}")" "$tree_before" "and the whole tree is as before the upgrade"
	t_ok "the rollback boot's record is gone" test ! -e "$root7/var/lib/oslift/boot-entry"
	t_run "$UPGRADER" --root "$root7"
	t_is "$T_RC" 1 "a later run does nothing"

	# An uninterrupted rollback ends the same; custom.cfg of the admin's
	# own, before the stage, keeps its lines.
	root8=$tmp/bios2
	make_bios_root "$root8"
	printf 'menuentry "rescue" {\n}\n' >"$root8/boot/grub2/custom.cfg"
	boot_before=$(boot_digest "$root8")
	upgrade_armed "$root8"
	hp --root "$root8" rollback --boot-initramfs "$image"
	t_run "$UPGRADER" --root "$root8"
	t_is "$T_RC" 0 "an uninterrupted rollback of an armed root"
	t_match "$T_OUT" 'put /boot/grub2/grubenv back as it was before the upgrade' "says when the grubenv is back"
	t_is "$(boot_digest "$root8")" "$boot_before" "/boot as before, the admin's custom.cfg kept as it was"

	# The rollback boot's own kernel, which the upgrade added (host-prep
	# rollback on the running release 8 arms release 8's kernel): it stays
	# until the old grubenv is back, or a power cut before that leaves
	# GRUB's one-time entry, still selected, no kernel to load.
	root9=$tmp/bios3
	make_bios_root "$root9"
	boot_before=$(boot_digest "$root9")
	upgrade_armed "$root9"
	t_ok "the upgrade installed release 8's kernel beside release 7's" test -f "$root9/boot/vmlinuz-8.0"
	echo "upgrade initramfs" >"$root9/boot/oslift-upgrade-8.0.img"
	hp --root "$root9" rollback --boot-initramfs /boot/oslift-upgrade-8.0.img
	t_is "$T_RC" 0 "host-prep rollback arms the rollback boot on release 8's kernel"
	t_match "$(cat "$root9/boot/grub2/custom.cfg")" '/vmlinuz-8\.0 ' "whose entry loads vmlinuz-8.0"
	grub-editenv "$root9/boot/grub2/grubenv" set next_entry=
	OSLIFT_CRASH_AT=rollback-restored t_run "$UPGRADER" --root "$root9"
	t_is "$T_RC" 137 "cut short after the old packages' files are back"
	t_match "$T_OUT" '/boot/vmlinuz-8\.0, which the upgrade added, stays until the old boot configuration is back' \
		"the upgrader keeps the rollback boot's kernel, and says so"
	t_ok "the rollback boot's kernel is there for the next boot" test -f "$root9/boot/vmlinuz-8.0"
	grub-editenv "$root9/boot/grub2/grubenv" set next_entry=
	OSLIFT_CRASH_AT=rollback-boot-files t_run "$UPGRADER" --root "$root9"
	t_is "$T_RC" 137 "run again, cut short after the old boot files are back, before the grubenv"
	t_match "$(grub-editenv "$root9/boot/grub2/grubenv" list)" '^next_entry=oslift-upgrade$' "the switch is on"
	t_ok "and the kernel its entry loads is still there" test -f "$root9/boot/vmlinuz-8.0"
	grub-editenv "$root9/boot/grub2/grubenv" set next_entry=
	t_run "$UPGRADER" --root "$root9"
	t_is "$T_RC" 0 "the next run finishes the rollback"
	t_match "$T_OUT" "removed /boot/vmlinuz-8\\.0, the rollback boot's kernel, which the upgrade added" \
		"it removes the kernel once the grubenv is back"
	t_ok "release 8's kernel is gone" test ! -e "$root9/boot/vmlinuz-8.0"
	rm "$root9/boot/oslift-upgrade-8.0.img" # --boot-initramfs: the operator's image, left in place
	t_is "$(boot_digest "$root9")" "$boot_before" "/boot is as before the stage"
else
	t_skip "the boot configuration put back by the rollback" "grub-editenv (grub-common) is not installed"
fi

# stage --verify: the health check restore runs on the restored root,
# chrooted into it (no service of release 8 runs there, and nothing
# reboots): failing within its time, it asks for the rollback, which the
# upgrader performs; succeeding, nothing is rolled back; a command that
# hangs is stopped at the timeout.
verify_upgraded() {
	local root=$1; shift
	t_make_release7_root "$root" "$pkgs"
	t_tree_digest "$root" "${not_compared[@]}" >"$root.before-digest"
	"$HOST_PREP" --root "$root" stage --packages "$pkgs/release8" --erase legacy "$@" >"$root.stage.log" 2>&1
	"$UPGRADER" --root "$root" >"$root.upgrade.log" 2>&1
}
rootv=$tmp/verify-fails
verify_upgraded "$rootv" --verify 'test -e /etc/never' --verify-timeout 3
t_match "$(cat "$rootv/var/lib/oslift/plan")" '^verify 3 test%20-e%20/etc/never$' "the plan holds the verify command and its timeout"
t_run "$HOST_PREP" --root "$rootv" restore
t_is "$T_RC" 3 "restore runs the verify command, which fails"
t_match "$T_OUT" "the verify command 'test -e /etc/never' did not succeed within 3 s \([0-9]+ attempts, the last exited 1\)" \
	"and says so, with the attempts and the exit status"
t_match "$(cat "$rootv/var/log/oslift/verify.log")" '^--- attempt 2 failed after' "verify.log has every attempt"
t_ok "the rollback is asked for" test -f "$rootv/var/lib/oslift/rollback"
t_match "$(t_json "$rootv/var/lib/oslift/status.json" 'd["message"]')" "^rollback requested: .*; because the verify command 'test -e /etc/never'" \
	"status says why"
t_run "$HOST_PREP" --root "$rootv" status
t_match "$T_OUT" "^rollback request: rollback requested [0-9T:-]+Z: the verify command 'test -e /etc/never' did not succeed" \
	"host-prep status shows the request and what asked for it"
t_match "$T_OUT" "^state: rolling-back \(a rollback to the old system is asked for or was interrupted" "and explains the state"
t_run "$UPGRADER" --root "$rootv"
t_is "$T_RC" 0 "the upgrader rolls back"
t_is "$(t_tree_digest "$rootv" "${not_compared[@]}")" "$(cat "$rootv.before-digest")" "the tree is the pre-upgrade one again"
t_match "$(t_json "$rootv/var/lib/oslift/status.json" 'd["message"]')" "^rolled back \(the verify command 'test -e /etc/never' did not succeed within 3 s.*\): the old system is back, every file verified$" \
	"and the rolled-back root's status says why it was rolled back"

rootv=$tmp/verify-passes
# (The test root's /bin/sh is busybox's; grep and the like are not there.)
verify_upgraded "$rootv" --verify 'read -r page </var/www/webapp/index.html && [ "${page#*webapp 8}" != "$page" ]' --verify-timeout 20
t_run "$HOST_PREP" --root "$rootv" restore
t_is "$T_RC" 0 "a verify command that succeeds: restore exits 0"
t_match "$(t_json "$rootv/var/lib/oslift/status.json" 'd["message"]')" '^restored and verified: the verify command succeeded in [0-9.]+ s \(attempt 1\)$' \
	"status says it was verified"
t_ok "no rollback is asked for" test ! -e "$rootv/var/lib/oslift/rollback"
t_match "$(t_rpm "$rootv" -q webapp)" '^webapp-8\.0-1' "release 8 stays"

rootv=$tmp/verify-hangs
verify_upgraded "$rootv" --verify 'sleep 60' --verify-timeout 2
start=$SECONDS
t_run "$HOST_PREP" --root "$rootv" restore
took=$((SECONDS - start))
t_is "$T_RC" 3 "a verify command that hangs fails"
t_ok "at its 2 s timeout (restore took $took s)" test "$took" -lt 10
t_match "$T_OUT" "'sleep 60' did not succeed within 2 s \(1 attempts, the last timed out\)" "and says it timed out"
t_ok "the rollback is asked for" test -f "$rootv/var/lib/oslift/rollback"
t_run "$UPGRADER" --root "$rootv"
t_is "$T_RC" 0 "and performed"
t_is "$(t_tree_digest "$rootv" "${not_compared[@]}")" "$(cat "$rootv.before-digest")" "to the pre-upgrade tree"

t_run "$HOST_PREP" --root "$rootv" stage --packages "$pkgs/release8" --verify-timeout 0
t_is "$T_RC" 2 "--verify-timeout 0 is a usage error"
t_run "$HOST_PREP" --root "$rootv" stage --packages "$pkgs/release8" --verify "$(printf 'a\nb')"
t_is "$T_RC" 2 "a verify command with a newline is a usage error"
