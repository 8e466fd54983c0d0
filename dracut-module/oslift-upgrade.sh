#!/bin/sh
# pre-pivot hook of the shell-only (non-systemd) initramfs: same as
# oslift-upgrade.service. The upgrader checks rd.oslift.upgrade itself.
if getargbool 0 rd.oslift.upgrade; then
	# The software watchdog the upgrader arms (see oslift-upgrade.service).
	modprobe -q softdog 2>/dev/null
fi
/usr/lib/oslift/upgrader
