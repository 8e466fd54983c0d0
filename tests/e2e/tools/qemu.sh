#!/bin/bash
# Boots a disk image under QEMU until the guest reboots, powers off or
# panics, with a hard timeout:
#
#   qemu.sh IMAGE SERIAL_LOG [--mem MB] [--timeout S] [--hostfwd PORT]
#           [--ssh-port PORT] [--expect REGEX] [--smp N] [--uefi]
#           [--iops-write N] [--disk FILE]...
#
#   --mem MB        guest memory (default 512)
#   --timeout S     hard limit: QEMU is killed (-9) after S seconds (default 300)
#   --hostfwd PORT  127.0.0.1:PORT on the host reaches the guest's port 80
#   --ssh-port PORT 127.0.0.1:PORT on the host reaches the guest's port 22
#   --expect REGEX  after QEMU ends, a line of the serial log must match
#                   REGEX (grep -E, \r removed), or the exit status is 1
#   --smp N         guest CPUs (default 2: the fastest under TCG here)
#   --uefi          boot with OVMF instead of SeaBIOS: OVMF_CODE_4M.fd
#                   read-only, and IMAGE.OVMF_VARS.fd as the writable
#                   variable store (NVRAM), copied from OVMF_VARS_4M.fd when
#                   missing, so that the boots of one image share it
#   --iops-write N  at most N write requests a second to the disk (QEMU's
#                   throttling.iops-write; reads are not limited): a slow
#                   disk, so that a power cut can land between two writes
#                   a fast one would finish in the same instant
#   --disk FILE     one more raw virtio disk after IMAGE (vdb, vdc, ... in
#                   the order given); repeatable
#
# The serial console (ttyS0) goes to SERIAL_LOG (appended to, so one log can
# hold several boots). -no-reboot makes a guest reboot end QEMU; QEMU exits 0
# for a reboot, a power-off and a reset alike, so callers judge the run by
# the serial log. A kernel panic seen in the log ends the run early.
# The human monitor listens on SERIAL_LOG.monitor (a unix socket) while
# QEMU runs, e.g. for `socat - UNIX-CONNECT:...` and `system_powerdown`.
#
# Exit status: 0 QEMU exited by itself (and --expect matched), 1 --expect
# did not match, 2 usage, 3 QEMU failed (bad option, port in use, ...),
# 124 timeout (killed), 125 kernel panic (killed). One line on stderr says
# how long the guest ran and how it ended.
#
# No KVM here: TCG only. Only loopback addresses are used on the host.
set -euo pipefail

usage() {
	echo "usage: $0 IMAGE SERIAL_LOG [--mem MB] [--timeout S] [--hostfwd PORT] [--ssh-port PORT] [--expect REGEX] [--smp N] [--uefi] [--iops-write N] [--disk FILE]..." >&2
	exit 2
}
die() { echo "qemu.sh: $*" >&2; exit 2; }

pos=() mem=512 timeout=300 port='' ssh_port='' expect='' smp=2 uefi=0 iops_write='' disks=()
while (($#)); do
	case $1 in
	--uefi) uefi=1; shift ;;
	--disk) (($# >= 2)) || usage; disks+=(-drive "file=$2,format=raw,if=virtio"); shift 2 ;;
	--mem | --timeout | --hostfwd | --ssh-port | --expect | --smp | --iops-write)
		(($# >= 2)) || usage
		case $1 in
		--mem) mem=$2 ;; --timeout) timeout=$2 ;; --hostfwd) port=$2 ;;
		--ssh-port) ssh_port=$2 ;; --expect) expect=$2 ;; --smp) smp=$2 ;;
		--iops-write) iops_write=$2 ;;
		esac
		shift 2 ;;
	-*) usage ;;
	*) pos+=("$1"); shift ;;
	esac
done
((${#pos[@]} == 2)) || usage
image=${pos[0]} log=${pos[1]}
[[ -f $image ]] || die "$image not found"
for n in "$mem" "$timeout" "$smp" ${port:+"$port"} ${ssh_port:+"$ssh_port"} ${iops_write:+"$iops_write"}; do
	[[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
firmware=()
if ((uefi)); then
	ovmf=/usr/share/OVMF
	[[ -f $ovmf/OVMF_CODE_4M.fd && -f $ovmf/OVMF_VARS_4M.fd ]] || die "$ovmf/OVMF_{CODE,VARS}_4M.fd not found (Debian package ovmf)"
	vars=$image.OVMF_VARS.fd
	[[ -f $vars ]] || cp "$ovmf/OVMF_VARS_4M.fd" "$vars"
	# OVMF_CODE_4M.fd is built without SMM, so the pc machine runs it.
	firmware=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.fd"
		-drive "if=pflash,format=raw,unit=1,file=$vars")
fi

monitor=$log.monitor
netdev=user,id=n0,ipv6=off${port:+,hostfwd=tcp:127.0.0.1:$port-:80}${ssh_port:+,hostfwd=tcp:127.0.0.1:$ssh_port-:22}
touch "$log"

# -nodefaults: no floppy, CD-ROM, VGA or default NIC for SeaBIOS and the
# kernel to probe. romfile= skips the iPXE option ROM (no network boot).
# -accel tcg: there is no KVM; multi-threaded TCG is the default with -smp.
qemu=(qemu-system-x86_64 -machine pc -accel tcg -smp "$smp" -m "$mem"
	-nodefaults -display none -no-reboot "${firmware[@]}"
	-drive "file=$image,format=raw,if=virtio${iops_write:+,throttling.iops-write=$iops_write}" "${disks[@]}"
	-chardev "file,id=s0,path=$log" -serial chardev:s0
	-netdev "$netdev" -device "virtio-net-pci,netdev=n0,romfile="
	-monitor "unix:$monitor,server=on,wait=off")

start=$(date +%s%N)
"${qemu[@]}" </dev/null &
pid=$!
# A test killed by prove or ^C must not leave a guest running.
# (|| true: under set -e a failing command in the trap would turn the exit
# status into 1.)
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$monitor"' EXIT
trap 'exit 130' INT TERM

# Wall-clock seconds since QEMU started, with one decimal.
elapsed() {
	local ds=$((($(date +%s%N) - start) / 100000000))
	echo "$((ds / 10)).$((ds % 10))"
}

how='' status=0 panic_at=''
while kill -0 $pid 2>/dev/null; do
	if [[ -z $panic_at ]] && grep -q 'Kernel panic - not syncing' "$log"; then
		panic_at=$SECONDS # let panic=N reboot (exit) or the backtrace finish
	fi
	if [[ -n $panic_at ]] && ((SECONDS - panic_at >= 3)); then
		kill -9 $pid 2>/dev/null || true
		how="killed after a kernel panic" status=125
		break
	fi
	if (($(elapsed | cut -d. -f1) >= timeout)); then
		kill -9 $pid 2>/dev/null || true
		how="killed by the ${timeout} s timeout" status=124
		break
	fi
	sleep 0.2
done
wait $pid 2>/dev/null && rc=0 || rc=$?
if [[ -z $how ]]; then
	if ((rc != 0)); then
		how="QEMU failed (exit $rc)" status=3
	elif [[ -n $panic_at ]] || grep -q 'Kernel panic - not syncing' "$log"; then
		how="guest panicked" status=125
	else
		how="QEMU exited (guest rebooted or powered off)"
	fi
fi
# (The tty turns \n into \r\n: drop the \r so that REGEX can end in $.)
if ((status == 0)) && [[ -n $expect ]] && ! tr -d '\r' <"$log" | grep -aEq -- "$expect"; then
	how+=", but the serial log does not match /$expect/" status=1
fi
echo "qemu.sh: guest ran $(elapsed) s: $how" >&2
exit $status
