#!/bin/sh
# GET /cgi-bin/go: the host's "go ahead" for a waiting e2e script
# (e2e-wait-go); busybox httpd runs CGI programs from HOME/cgi-bin.
touch /run/e2e-go
printf 'Content-Type: text/plain\r\n\r\ngo\n'
