#!/bin/bash
# Power cuts during the upgrade boot, for real: the guest is staged once
# (boot 1), then for each cut point a copy of that disk boots into the
# upgrade and QEMU is killed (SIGKILL: the guest's page cache is lost, as in
# a power cut) when the serial console shows element K of the transaction,
# or while a %post scriptlet sleeps. The next boot must go back into the
# upgrade by itself (the upgrader turned GRUB's one-time entry on again),
# say that it resumes, finish, and leave a disk equal to an uninterrupted
# upgrade's: the same rpm -qa, every package-owned file with the digest the
# rpmdb records, the same bytes in every one of them, the site data as it
# was, and no next_entry left in grubenv; every scriptlet the uninterrupted
# upgrade ran has run, and the report tells the same.
#
#   POWER_CUT_POINTS=quick   two cuts (make check)
#   POWER_CUT_POINTS=all     eleven cuts spread over the transaction (default)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
# shellcheck source=tools/e2e-lib.sh
source "$TESTS_DIR/e2e/tools/e2e-lib.sh"

POINTS=${POWER_CUT_POINTS:-all}
FILLERS=30

e2e_require "power cuts during the upgrade"
tmp=$(t_tmpdir)
staged=$tmp/staged.img

# ------------------------------------------------ the staged system (boot 1)
if ! e2e_staged_image "$staged" "$FILLERS"; then
	t_fail "boot 1 staged the upgrade" "$(tail -n 30 "$staged.stage.log" 2>/dev/null)"
	exit 1
fi
t_pass "boot 1 staged the upgrade and armed the one-time boot"
data_before=$(e2e_debugfs_cat "$staged" /var/www/site/data/hello.txt)

# upgrade_boot IMAGE NAME: one boot of IMAGE, in the background; sets QEMU_PID.
upgrade_boot() {
	"$E2E_TOOLS/qemu.sh" "$1" "$tmp/serial.$2" --mem 256 --timeout 900 2>"$tmp/qemu.$2.err" &
	QEMU_PID=$!
}

# state IMAGE: what must come out equal, read from the disk: rpm -qa from
# the rpmdb, each package-owned regular file's digest as the rpmdb records
# it and as the disk has it, the site data, next_entry in grubenv.
state() {
	e2e_rpmdb_qa "$1"
	e2e_owned_files "$1"
	echo "site data: $(e2e_debugfs_cat "$1" /var/www/site/data/hello.txt)"
	echo "next_entry: $(e2e_debugfs_cat "$1" /boot/grub/grubenv | grep -a '^next_entry=.' || true)"
}

# scriptlets IMAGE: the scriptlets of scripted that ran, as
# tests/integration/resume-root.sh counts them: each kind once, without
# instance-count arguments (a package installed again runs its scriptlets
# again, counting what is installed then); the file trigger's count of
# files kept, as it must see all of them.
scriptlets() {
	{ e2e_debugfs_cat "$1" /var/lib/scripted/scriptlets.log || true; } |
		awk '$1 == "transfiletriggerin" { print; next } $1 == "triggerin" { print $1, $2, $3; next } { print $1, $2 }' |
		LC_ALL=C sort -u
}

# report IMAGE: what the report will tell (restore reads the outcome).
report() {
	{ e2e_debugfs_cat "$1" /var/lib/oslift/outcome || true; } |
		{ grep -aE '^(result|installed|erased|config|script-failure|error) ' || true; } | LC_ALL=C sort
}

# ------------------------------------------------- the uninterrupted upgrade
cp --sparse=always "$staged" "$tmp/reference.img"
start=$SECONDS
upgrade_boot "$tmp/reference.img" reference
wait "$QEMU_PID" || true
ref_log=$(tr -d '\r' <"$tmp/serial.reference")
t_match "$ref_log" 'upgrade applied in [0-9.]+ s' "the uninterrupted upgrade boot applies the plan ($((SECONDS - start)) s)"
t_match "$ref_log" 'watchdog armed: ' "the uninterrupted upgrade boot armed the watchdog"
expected=$(state "$tmp/reference.img")
t_match "$expected" '^owned files: [1-9][0-9]*, differing: 0$' "the uninterrupted upgrade leaves every owned file as the rpmdb says"
t_match "$expected" "^site data: $data_before\$" "and the site data as it was"
total=$(grep -aoE '\[ *[0-9]+/[0-9]+ ' <<<"$ref_log" | head -n1 | sed 's/.*\///; s/ //g')
t_match "${total:-0}" '^[1-9][0-9]+$' "the transaction has $total elements"
expected_scriptlets=$(scriptlets "$tmp/reference.img")
expected_report=$(report "$tmp/reference.img")
t_match "$expected_scriptlets" '^posttrans 8$' "the uninterrupted upgrade ran scripted's %posttrans"
t_match "$expected_scriptlets" '^transfiletriggerin 8 [1-9][0-9]*$' "and its file trigger"
t_match "$expected_report" '^result applied$' "and its outcome says applied"
rm -f "$tmp/reference.img"

case $POINTS in
quick) cuts=("line:$((total / 2))" scriptlet) ;;
*)
	cuts=(line:1 line:2)
	for pct in 15 30 45 60 75 90; do cuts+=("line:$((total * pct / 100))"); done
	cuts+=("line:$((total - 1))" "line:$total" scriptlet)
	;;
esac

passed=0
for when in "${cuts[@]}"; do
	name=cut-${when#*:}
	image=$tmp/$name.img
	cp --sparse=always "$staged" "$image"
	upgrade_boot "$image" "$name"
	case $when in
	line:*) re="^\[ *[0-9.]+\] \[ *${when#line:}/$total " ;;
	scriptlet) re='\] (upgrading|installing) scripted-8' ;;
	esac
	if ! e2e_wait_log "$tmp/serial.$name" "$re" 600 "$QEMU_PID"; then
		t_fail "cut at $when: the line to cut at appeared" "$(tail -n 20 "$tmp/serial.$name")"
		kill "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
		continue
	fi
	# In the middle of the 1-second %post rather than at its package's start.
	[[ $when == scriptlet ]] && sleep 0.5
	kill "$QEMU_PID" # qemu.sh kills QEMU with SIGKILL on its way out
	wait "$QEMU_PID" 2>/dev/null || true
	cut_at=$(tr -d '\r' <"$tmp/serial.$name" | grep -aoE '\[ *[0-9]+/[0-9]+ ' | tail -n1 | tr -dc '0-9/')

	start=$SECONDS
	upgrade_boot "$image" "$name-resume"
	wait "$QEMU_PID" || true
	log=$(tr -d '\r' <"$tmp/serial.$name-resume")
	if ! grep -aq "Booting .oslift upgrade" <<<"$log"; then
		t_fail "cut at $when ($cut_at): the next boot goes back into the upgrade" "$(tail -n 20 <<<"$log")"
		continue
	fi
	if ! grep -aq 'watchdog armed: ' <<<"$log"; then
		t_fail "cut at $when ($cut_at): the resumed boot armed the watchdog" "$(grep -aiE 'watchdog' <<<"$log")"
		continue
	fi
	resumed=$(grep -aoE 'resuming: [0-9]+ of [0-9]+ done, last checkpoint at [0-9]+' <<<"$log" || true)
	applied=$(grep -aoE 'upgrade applied in [0-9.]+ s' <<<"$log" || true)
	if [[ -z $resumed || -z $applied ]]; then
		t_fail "cut at $when ($cut_at): the next boot resumes and finishes" "$(grep -aE '^\[ *[0-9.]+\] ' <<<"$log" | tail -n 20)"
		continue
	fi
	got=$(state "$image")
	if [[ $got == "$expected" ]]; then
		t_pass "cut at $when ($cut_at): $resumed; $applied (boot $((SECONDS - start)) s); the disk equals the uninterrupted upgrade's"
		passed=$((passed + 1))
	else
		t_fail "cut at $when ($cut_at): the disk equals the uninterrupted upgrade's" \
			"$(diff <(echo "$expected") <(echo "$got") | head -n 20)"
	fi
	t_is "$(comm -23 <(echo "$expected_scriptlets") <(scriptlets "$image"))" "" \
		"cut at $when ($cut_at): every scriptlet the uninterrupted upgrade ran has run (%posttrans, the file trigger)"
	t_is "$(report "$image")" "$expected_report" "cut at $when ($cut_at): the report tells what the uninterrupted one tells"

	rm -f "$image"
done
echo "# power cuts tried: ${#cuts[@]}, passed: $passed, of $total transaction elements"
