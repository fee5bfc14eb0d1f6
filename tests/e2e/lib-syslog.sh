# Capturing what programs send to syslog, without touching the host's
# /dev/log: the command runs in a private mount namespace (unshare -m, as
# root) whose /dev is a directory of this test holding the host's device
# nodes (bind-mounted) and a datagram socket "log" that a small listener
# copies to a file.  Requires root and unshare(1); tests call
# syslog_capture_works first and report the part as not run otherwise.
#
# Usage:  . "$(dirname "$0")/lib-syslog.sh"   (after lib.sh)
#   with_syslog FILE COMMAND...   runs COMMAND; what reached syslog is
#                                 appended to FILE, one message a line

syslog_capture_works() {
	[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
		command -v python3 >/dev/null 2>&1 &&
		unshare -m --propagation private true 2>/dev/null
}

cat >"$TRASH/syslog-listen.py" <<'EOF'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
open(out + ".ready", "w").close()
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
EOF

with_syslog() {
	ws_file=$1
	shift
	ws_dev="$TRASH/syslog-dev.$$"
	rm -rf "$ws_dev" "$ws_file.ready"
	mkdir -p "$ws_dev"
	# shellcheck disable=SC2016
	unshare -m --propagation private sh -c '
		dev=$1 file=$2 py=$3
		shift 3
		for n in null zero full random urandom tty; do
			[ -e "/dev/$n" ] || continue
			: >"$dev/$n" && mount --bind "/dev/$n" "$dev/$n" || exit 97
		done
		ln -s /proc/self/fd "$dev/fd"
		python3 "$py" "$dev/log" "$file" &
		lpid=$!
		n=0
		while [ ! -e "$file.ready" ] && [ $n -lt 100 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		mount --rbind "$dev" /dev || { kill $lpid; exit 98; }
		"$@"
		rc=$?
		sleep 0.2
		kill $lpid
		exit $rc
	' - "$ws_dev" "$ws_file" "$TRASH/syslog-listen.py" "$@"
}
