#!/bin/sh
# Pushes per second on one node: the file log against PostgreSQL, for one
# or more builds side by side (docs/postgres.md, "Measured").
#
#   TK_BIN=build TK_SRC=. sh bench/pg-push-rate.sh [-n PUSHES] [-r ROUNDS] BUILD...
#
# Starts a throwaway PostgreSQL as tests/e2e/lib-postgres.sh does (init-db
# with $TK_BIN's twokey), gives each BUILD its own bare repository with
# that build's pre-receive hook, then ROUNDS times (default 5), for every
# build in turn, PUSHES sequential pushes (default 20, each creating a
# branch) with: the file log ("file"), PostgreSQL ("pg"), and PostgreSQL
# with a rule that has an emergency path, so that the hook also reads the
# emergency state ("pg+em"; a build from before the emergency state was
# kept in the database does not read it).  Interleaving the builds and
# modes spreads the machine's load over all of them; it prints the median
# of the rounds.  Nothing here is part of the product or its tests.
. "$TK_SRC/tests/e2e/lib.sh"
. "$TK_SRC/tests/e2e/lib-postgres.sh"

npush=20
rounds=5
while [ $# -gt 0 ]; do
	case $1 in
	-n) npush=$2; shift 2 ;;
	-r) rounds=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: pg-push-rate.sh [-n N] [-r R] BUILD..." >&2; exit 2; }

policy() { # FILE AUDIT-LINES EMERGENCY(0|1)
	{
		cat <<EOF
version: 1
roles: {developer: writes code, operations: on call}
identities:
  alice: {emails: [alice@example.com], logins: [alice], roles: [developer, operations]}
pusher: {env: [GL_USER]}
rules:
EOF
		if [ "$3" = 1 ]; then
			cat <<EOF
  - name: hot
    refs: 'refs/heads/hot/.*'
    update: [operations]
    approvals: {min: 1, from: [developer]}
    emergency: {by: [operations], waive: [approvals], ratify: {within: 24h}}
EOF
		fi
		cat <<EOF
  - name: everything
    refs: '.*'
    update: [developer]
audit:
$2
EOF
	} >"$1"
}
policy "$TRASH/admin.yaml" "  postgres: $TRASH/admin.conn" 0
policy "$TRASH/pg.yaml" "  postgres: $TRASH/hook.conn
  node: bench" 0
policy "$TRASH/pg+em.yaml" "  postgres: $TRASH/hook.conn
  node: bench" 1
policy "$TRASH/file.yaml" "  path: $TRASH/file.jsonl" 0
TWOKEY_CONFIG="$TRASH/admin.yaml" "$TK_BIN/twokey" audit init-db >/dev/null || exit 1
sql "GRANT SELECT, INSERT ON twokey_records TO twokey_hook;
GRANT SELECT, UPDATE ON twokey_head TO twokey_hook;
GRANT SELECT ON twokey_schema, twokey_freezes TO twokey_hook;
GRANT SELECT, UPDATE ON twokey_emergencies TO twokey_hook"

W=$(new_work w)
commit_as "$W" alice@example.com "first"
b=0
for build in "$@"; do
	b=$((b + 1))
	git init -q --bare "$TRASH/srv$b.git"
	ln -s "$(cd "$build" && pwd)/twokey-pre-receive" "$TRASH/srv$b.git/hooks/pre-receive"
done

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
r=0
while [ $r -lt "$rounds" ]; do
	b=0
	for build in "$@"; do
		b=$((b + 1))
		for mode in file pg pg+em; do
			s=$(date +%s.%N)
			k=0
			while [ $k -lt "$npush" ]; do
				GL_USER=alice TWOKEY_CONFIG="$TRASH/$mode.yaml" git -C "$W" push -q \
					"$TRASH/srv$b.git" "HEAD:refs/heads/r$r-$mode-$k" 2>"$TRASH/err" ||
					{ cat "$TRASH/err"; echo "Bail out! a push was refused ($build, $mode)"; exit 1; }
				k=$((k + 1))
			done
			e=$(date +%s.%N)
			echo "$b $mode $(python3 -c "print('%.2f' % ($npush / ($e - $s)))")" >>"$TRASH/rates"
		done
	done
	r=$((r + 1))
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$TRASH/rates" "$npush" "$rounds" "$@" <<'EOF'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    b, mode, v = line.split()
    rates.setdefault((int(b), mode), []).append(float(v))
print('# %s sequential pushes per mode, median of %s rounds, pushes/s' % (sys.argv[2], sys.argv[3]))
print('# %-40s %8s %8s %8s' % ('build', 'file', 'pg', 'pg+em'))
for i, build in enumerate(sys.argv[4:], 1):
    print('# %-40s %8.1f %8.1f %8.1f' % (build[-40:], *(statistics.median(rates[(i, m)]) for m in ('file', 'pg', 'pg+em'))))
EOF
ok "measured"
done_testing
