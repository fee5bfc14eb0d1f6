# Shared by the front-end tests (t004x-*.sh): real servers on 127.0.0.1,
# started in the foreground as background jobs of the test and stopped by
# PID when it exits, whatever the reason.  A missing server program is a
# failure, not a skip: CI installs them (scripts/deps --servers).
#
# Usage in a test:  . "$(dirname "$0")/lib-servers.sh"   (instead of lib.sh)

. "$(dirname "$0")/lib.sh"

tk_server_pids=""
tk_stop_servers() {
	for pid in $tk_server_pids; do
		kill "$pid" 2>/dev/null
	done
	for pid in $tk_server_pids; do
		n=0
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		# still there: timeout leads its own process group, kill it all
		if kill -0 "$pid" 2>/dev/null; then
			kill -s KILL -- "-$pid" 2>/dev/null || kill -s KILL "$pid"
		fi
		wait "$pid" 2>/dev/null
	done
	tk_server_pids=""
}
tk_exit_hooks=""
trap 'tk_stop_servers; eval "$tk_exit_hooks"; tk_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The trash directory is reachable by the unprivileged users servers run
# hooks as (www-data, a gitolite hosting user).
chmod 755 "$TRASH"

# server_started PID: stop PID when the test ends.  Start servers as
#   timeout -k 5 120 SERVER ... &  server_started $!
# (timeout itself, not a shell function around it: $! must be the process
# that passes the signal on), so that a test killed by SIGKILL leaves no
# server running for more than two minutes.
server_started() { tk_server_pids="$tk_server_pids $1"; }

# need_prog PATH...: each program must be installed; if not, the test
# fails here (it does not skip).
need_prog() {
	missing=""
	for p in "$@"; do
		[ -x "$p" ] || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		not_ok "installed:$missing (CI: scripts/deps --servers)"
		done_testing
	fi
	ok "installed: $*"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
	else
		perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(
		    LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)
		    or die "free_port: $!\n"; print $s->sockport, "\n"'
	fi
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it
# succeeds; fails after SECONDS.
wait_until() {
	n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# bounded SECONDS COMMAND...: COMMAND, killed if it runs too long, so that a
# hung server cannot hang the test.
bounded() {
	b=$1
	shift
	timeout -k 5 "$b" "$@"
}

# srv_ref_is REPO REF VALUE: ref_is for a repository another user owns
# (www-data, a gitolite hosting user), which git run by this test would
# refuse as of dubious ownership.
srv_ref_is() {
	v=$(git -c safe.directory="$1" -C "$1" rev-parse -q --verify "$2^{}" 2>/dev/null || true)
	[ "$v" = "$3" ] || { echo "# $2 is '$v', expected '$3'"; return 1; }
}

# quiet COMMAND...: COMMAND's output shown (as TAP comments) only if it fails.
quiet() {
	"$@" >"$TRASH/quiet" 2>&1 || {
		sed 's/^/#   /' "$TRASH/quiet"
		return 1
	}
}

# absent STRING FILE...: no file contains STRING.
absent() {
	s=$1
	shift
	for f in "$@"; do
		[ -e "$f" ] || continue
		if grep -F -q -- "$s" "$f"; then
			echo "# found in $f:"
			grep -F -n -- "$s" "$f" | sed 's/^/#   /' | cut -c1-400
			return 1
		fi
	done
	return 0
}
# todo DESCRIPTION COMMAND...: a check of a known product issue (a gap or
# a bug reported, not yet fixed): TAP "# TODO", shown but not failing the
# test.  When it starts passing, turn it into a check.
todo() {
	d=$1
	shift
	tk_count=$((tk_count + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $tk_count - $d # TODO passes now: make it a check"
	else
		echo "not ok $tk_count - $d # TODO known product issue"
	fi
}

# audit_record FILE REGEX...: some line of FILE (the JSON Lines audit log)
# matches every extended REGEX.
audit_record() {
	f=$1
	shift
	cp "$f" "$TRASH/audit.sel" 2>/dev/null || {
		echo "# no audit log $f"
		return 1
	}
	for r in "$@"; do
		grep -E -- "$r" "$TRASH/audit.sel" >"$TRASH/audit.sel2" || true
		mv "$TRASH/audit.sel2" "$TRASH/audit.sel"
	done
	[ -s "$TRASH/audit.sel" ] || {
		echo "# no record of $f matches all of: $*"
		sed 's/^/#   /' "$f" | cut -c1-600
		return 1
	}
}
