#!/usr/bin/env bash
# bench/paths.sh BIN TKTIME WORKDIR RUNS: what "paths:" costs the hook
# (docs/paths.md, "Cost").  Run by scripts/bench (and alone with
# scripts/bench --paths); not part of the product.
#
# Generates with git fast-import a repository of 100,000 files (50,000
# under infra/, 50,000 under src/, 1,000 directories of 100) and times the
# pre-receive hook alone (GIT_DIR set, "old new ref" on stdin) under two
# policies that differ only in "paths:" (five entries: approvals for
# infra/** and db/..., writers for src/**, **/*.md and a deep glob) on:
#   - one commit changing all 100,000 files;
#   - one commit adding 100,000 files to an empty tree (a root commit);
#   - one commit changing 1,000 files 20 directories deep, and one file
#     there;
#   - 10,000 commits each changing 10 files of the 100,000-file tree.
# A change under infra/ is refused under the paths policy (no operations
# approval): the refusal is part of what is measured.  Prints medians of
# RUNS runs: wall ms, CPU ms and peak RSS, and the CPU time of git's own
# "git log --raw -r" over the same commits (the diffs alone, in git).
set -euo pipefail
bin=$1 tktime=$2 w=$3 runs=${4:-3}
d=$w/paths
rm -rf "$d"
mkdir -p "$d/t"
export GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
zero=0000000000000000000000000000000000000000

# ---- policies ---------------------------------------------------------------
common='version: 1
roles: {developer: writes code, operations: runs production}
identities:
  dev: {emails: [dev@example.com], logins: [dev], roles: [developer]}
  ops: {emails: [ops@example.com], logins: [ops], roles: [operations]}
rules:
  - name: mainline
    refs: '"'refs/heads/(main|root)'"'
    emails: '"'[a-z]+@example\\.com'"''
printf '%s\n' "$common" >"$d/nopaths.yaml"
{
	printf '%s\n' "$common"
	cat <<'EOF'
    paths:
      - {match: 'infra/**', approvals: {min: 1, from: [operations]}}
      - {match: 'db/[0-9][0-9]_*.sql', approvals: {require: {operations: 1}}}
      - {match: 'src/**', writers: [developer]}
      - {match: '**/*.md', writers: [developer, operations]}
      - {match: 'd01/**/d20/f*', writers: [developer]}
EOF
} >"$d/paths.yaml"
"$bin/twokey" config check "$d/nopaths.yaml" >/dev/null
"$bin/twokey" config check "$d/paths.yaml" >/dev/null

# ---- repository -------------------------------------------------------------
git init -q --bare "$d/r.git"
git -C "$d/r.git" config gc.auto 0
# commit MARK PARENT-MARK|"" SUBJECT: a fast-import commit header by dev.
fi_commit() {
	printf 'commit refs/heads/%s\nmark :%s\n' "$4" "$1"
	printf 'author dev <dev@example.com> 1767225600 +0000\n'
	printf 'committer dev <dev@example.com> 1767225600 +0000\n'
	printf 'data %d\n%s\n' "$((${#3} + 1))" "$3"
	[ -z "$2" ] || printf 'from :%s\n' "$2"
}
t0=$(date +%s.%N)
{
	printf 'blob\nmark :1\ndata 2\na\nblob\nmark :2\ndata 2\nb\n'
	# :10 base: 100,000 files
	fi_commit 10 "" "base" base
	awk 'BEGIN { for (i = 0; i < 1000; i++) for (j = 0; j < 100; j++)
		printf "M 100644 :1 %s/d%03d/f%02d.txt\n", i < 500 ? "infra" : "src", i, j }'
	# :11 every file changed
	fi_commit 11 10 "change every file" all
	awk 'BEGIN { for (i = 0; i < 1000; i++) for (j = 0; j < 100; j++)
		printf "M 100644 :2 %s/d%03d/f%02d.txt\n", i < 500 ? "infra" : "src", i, j }'
	# :12 the same 100,000 files in a root commit
	printf 'reset refs/heads/root\n'
	fi_commit 12 "" "root with every file" root
	awk 'BEGIN { for (i = 0; i < 1000; i++) for (j = 0; j < 100; j++)
		printf "M 100644 :2 %s/d%03d/f%02d.txt\n", i < 500 ? "infra" : "src", i, j }'
	# :13 1,000 files 20 levels deep on top of base; :14 all changed; :15 one
	deep=$(awk 'BEGIN { for (i = 1; i <= 20; i++) printf "d%02d/", i }')
	fi_commit 13 10 "deep tree" deep
	awk -v p="$deep" 'BEGIN { for (i = 0; i < 1000; i++) printf "M 100644 :1 %sf%04d\n", p, i }'
	fi_commit 14 13 "change 1,000 deep files" deep
	awk -v p="$deep" 'BEGIN { for (i = 0; i < 1000; i++) printf "M 100644 :2 %sf%04d\n", p, i }'
	fi_commit 15 13 "change one deep file" deep1
	printf 'M 100644 :2 %sf0007\n' "$deep"
	# :1000.. 10,000 commits changing 10 src/ files each
	awk 'BEGIN {
		for (c = 0; c < 10000; c++) {
			printf "blob\nmark :%d\ndata %d\n%d\n", 100000 + c, length(c "") + 1, c
			printf "commit refs/heads/many\nmark :%d\n", 1000 + c
			printf "author dev <dev@example.com> 1767225600 +0000\n"
			printf "committer dev <dev@example.com> 1767225600 +0000\n"
			printf "data 9\ncommit %2d\n", c % 100
			printf "from :%d\n", c == 0 ? 10 : 999 + c
			for (k = 0; k < 10; k++)
				printf "M 100644 :%d src/d%03d/f%02d.txt\n", 100000 + c, 500 + (c * 7 + k * 131) % 500, (c + k) % 100
		}
	}'
} | git -C "$d/r.git" fast-import --quiet
printf '   generated in %.1f s: %s objects\n' \
	"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" \
	"$(git -C "$d/r.git" count-objects -v | awk '/^count|^in-pack/ { n += $2 } END { print n }')"
rev() { git -C "$d/r.git" rev-parse "$1"; }
base=$(rev base) all=$(rev all) root=$(rev root) deep=$(rev deep)
deep14=$(rev deep) deep15=$(rev deep1) many=$(rev many)
deep13=$(rev deep~1)

# hook POLICY FILE "OLD NEW REF": one run of the hook alone; any decision.
hook() {
	TWOKEY_CONFIG=$d/$1 GIT_DIR=$d/r.git "$tktime" "$d/t/$2" \
		"$bin/twokey-pre-receive" <<<"$3" >"$d/out" 2>&1 || true
	grep -E '^twokey: (accepted|refused) ' "$d/out" | tail -1 >"$d/t/$2.last"
}
med() {
	awk -v c="$2" '{ print $c }' "$d/t/$1" | sort -g | awk '
		{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
verdict() { sed 's/^twokey: //; s/ under rule .mainline.//' "$d/t/$1.last" | cut -c1-40; }

# gitdiff FILE "OLD NEW REF": git's own diffs of the same commits (a floor)
gitdiff() {
	set -- "$1" $2
	if [ "$2" = "$zero" ]; then set -- "$1" "$3"; else set -- "$1" "$3" "^$2"; fi
	"$tktime" "$d/t/$1" git --git-dir="$d/r.git" log --raw -r --no-renames \
		--root --format=%H "${@:2}" >/dev/null 2>&1
}
printf '   %-44s %-22s %-22s %-10s %s\n' "update (hook alone, medians of $runs)" \
	"no paths: ms cpu MiB" "with paths: ms cpu MiB" "git log -r" "decision with paths"
row() { # NAME "OLD NEW REF"
	for ((r = 1; r <= runs; r++)); do
		hook nopaths.yaml "$1.0" "$2"
		hook paths.yaml "$1.1" "$2"
		gitdiff "$1.git" "$2"
	done
	printf '   %-44s %6.0f %6.0f %7.1f   %6.0f %6.0f %7.1f   %6.0f ms  %s\n' "$1" \
		"$(med "$1.0" 1)" "$(med "$1.0" 4)" "$(awk -v k="$(med "$1.0" 2)" 'BEGIN { print k / 1024 }')" \
		"$(med "$1.1" 1)" "$(med "$1.1" 4)" "$(awk -v k="$(med "$1.1" 2)" 'BEGIN { print k / 1024 }')" \
		"$(med "$1.git" 4)" "$(verdict "$1.1")"
}
row "1 commit changing 100,000 files" "$base $all refs/heads/main"
row "root commit of 100,000 files (ref created)" "$zero $root refs/heads/root"
row "1 commit changing 1,000 files 20 deep" "$deep13 $deep14 refs/heads/main"
row "1 commit changing 1 file 20 deep" "$deep13 $deep15 refs/heads/main"
row "10,000 commits changing 10 files each" "$base $many refs/heads/main"
