#!/bin/sh
# pre-pivot hook of the shell-only (non-systemd) initramfs: same as
# oslift-upgrade.service. The upgrader checks rd.oslift.upgrade itself.
/usr/lib/oslift/upgrader
