# A real PostgreSQL for the database tests (t0130, t0131 and later; each
# sources it): Debian's server started on 127.0.0.1 at a free port in
# a temporary directory, as an unprivileged user when run as root, stopped
# by its PID on exit; database twokey, owner tkadmin (trust on the
# socket), and a hook role twokey_hook with password $PW (scram over
# TCP).  Sourced after lib.sh.
#
# Sets: PG, SOCK, PORT, PW, PGBIN; $TRASH/admin.conn (the owner's
# connection file) and $TRASH/hook.conn (the hook's).
# Functions: pg_start, pg_stop, sql SQL (as tkadmin), hsql SQL (as
# twokey_hook; output in $TRASH/hsql), denied SQL (hsql fails with
# "permission denied").

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] && command -v psql >/dev/null &&
	command -v python3 >/dev/null || {
	echo "Bail out! PostgreSQL's server and psql are required (scripts/deps --servers)"
	exit 1
}
unpriv_setup
PW="tk-pw-$$-Xv7"
PG="$TRASH/pg"
SOCK="$TRASH/pgsock"
mkdir -p "$PG" "$SOCK"
[ -z "$UNPRIV" ] || chown "$tk_unpriv_user" "$PG" "$SOCK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "# postgres port $PORT"
pg_pid=""
pg_start() {
	$UNPRIV "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
		-o "-p $PORT -h 127.0.0.1 -k $SOCK" start >/dev/null || return 1
	pg_pid=$(head -1 "$PG/data/postmaster.pid")
}
pg_stop() {
	[ -n "$pg_pid" ] || return 0
	kill -INT "$pg_pid" 2>/dev/null
	i=0
	while kill -0 "$pg_pid" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pg_pid=""
}
trap 'pg_stop; tk_cleanup' EXIT
sql() { $UNPRIV psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U tkadmin -d twokey -Atc "$1"; }
hsql() { PGPASSWORD="$PW" psql -X -q -h 127.0.0.1 -p "$PORT" -U twokey_hook -d twokey -Atc "$1" >"$TRASH/hsql" 2>&1; }
denied() { ! hsql "$1" && grep -q "permission denied" "$TRASH/hsql"; }

$UNPRIV "$PGBIN/initdb" -D "$PG/data" -U tkadmin --auth-local=trust \
	--auth-host=scram-sha-256 >"$PG/initdb.log" 2>&1 || {
	cat "$PG/initdb.log"
	echo "Bail out! initdb failed"
	exit 1
}
pg_start || { cat "$PG/server.log"; echo "Bail out! postgres did not start"; exit 1; }
$UNPRIV psql -X -q -h "$SOCK" -p "$PORT" -U tkadmin -d postgres \
	-c "CREATE DATABASE twokey" -c "CREATE ROLE twokey_hook LOGIN PASSWORD '$PW'" ||
	{ echo "Bail out! psql failed"; exit 1; }
printf 'host=%s port=%s user=tkadmin dbname=twokey\n' "$SOCK" "$PORT" >"$TRASH/admin.conn"
printf 'host=127.0.0.1 port=%s user=twokey_hook password=%s dbname=twokey\n' \
	"$PORT" "$PW" >"$TRASH/hook.conn"
chmod 600 "$TRASH/admin.conn" "$TRASH/hook.conn"
