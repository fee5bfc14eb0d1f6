#!/bin/sh
# paths: a push touching 100,000 files, through the real pre-receive hook:
# refused naming three paths and how many more when the operations
# approval is missing, accepted with it; the hook's time and peak memory
# are printed and bounded (generously: CI machines are shared).  The
# commits are made with git fast-import and git commit-tree, without a
# checkout of 100,000 files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-approvals.sh"

for k in alice bob dave; do mkkey $k ed25519; done

write_policy "$TRASH/policy.yaml" <<EOF
version: 1
roles:
  developer: writes code
  reviewer: approves changes
  operations: runs production
identities:
  alice: {emails: [alice@example.com], logins: [alice], keys: ["$(pub alice)"], roles: [developer]}
  bob: {emails: [bob@example.com], logins: [bob], keys: ["$(pub bob)"], roles: [reviewer]}
  dave: {emails: [dave@example.com], logins: [dave], keys: ["$(pub dave)"], roles: [operations]}
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    approvals: {min: 1, from: [reviewer]}
    paths:
      - match: 'infra/**'
        approvals: {min: 1, from: [operations]}
      - match: 'src/**'
        writers: [developer]
      - match: '**/*.md'
        writers: [developer]
  - name: features
    refs: 'refs/heads/feature/.+'
EOF

srv=$(new_server srv)
# the hook runs under /usr/bin/time, which appends "seconds KiB" to a file
rm "$srv/hooks/pre-receive"
cat >"$srv/hooks/pre-receive" <<EOF
#!/bin/sh
exec /usr/bin/time -a -o "$TRASH/hook.time" -f '%e %M' "$TK_BIN/twokey-pre-receive"
EOF
chmod +x "$srv/hooks/pre-receive"
w=$(new_work w)
git -C "$w" remote add origin "$srv"
for r in bob dave; do reviewer $r $r@example.com "$w"; done

# base: 100,000 files (50,000 under infra/, 50,000 under src/) in 1,000
# directories; all: every one of them changed, by alice.
t0=$(date +%s)
{
	printf 'blob\nmark :1\ndata 2\na\nblob\nmark :2\ndata 2\nb\n'
	for c in base all; do
		printf 'commit refs/heads/%s\n' "$c"
		printf 'author alice <alice@example.com> 1767225600 +0000\n'
		printf 'committer alice <alice@example.com> 1767225600 +0000\n'
		if [ $c = base ]; then
			printf 'data 5\nbase\n'
		else
			printf 'data 18\nchange every file\nfrom refs/heads/base\n'
		fi
		awk -v m=$([ $c = base ] && echo 1 || echo 2) 'BEGIN {
			for (i = 0; i < 1000; i++) for (j = 0; j < 100; j++)
				printf "M 100644 :%d %s/d%03d/f%02d.txt\n", m,
				    i < 500 ? "infra" : "src", i, j }'
	done
} | git -C "$w" fast-import --quiet
base=$(git -C "$w" rev-parse base)
c0=$(git -C "$w" rev-parse all)
check "100,000 files in the tree" test "$(git -C "$w" ls-tree -r "$c0" | wc -l)" -eq 100000
check "100,000 files changed" test "$(git -C "$w" diff-tree -r --no-renames "$base" "$c0" | wc -l)" -eq 100000
echo "# generated in $(($(date +%s) - t0)) s"
expect_push accept "seed" alice "$w" "$base:refs/heads/feature/base" \
	refs/heads/feature/base "$base"
git -C "$srv" update-ref refs/heads/main "$base"

# with_trailers COMMIT TRAILER...: the same commit (tree, parent, author,
# subject) with these trailers, made with git commit-tree.
with_trailers() {
	wt_c=$1
	shift
	{
		echo "change every file"
		echo
		for t in "$@"; do echo "$t"; done
	} >"$TRASH/msg"
	GIT_AUTHOR_NAME=alice GIT_AUTHOR_EMAIL=alice@example.com \
		GIT_AUTHOR_DATE="1767225600 +0000" \
		git -C "$w" -c user.name=alice -c user.email=alice@example.com \
		commit-tree "$wt_c^{tree}" -p "$base" -F "$TRASH/msg"
}
t_bob=$(approve_tk bob bob "$c0")
t_dave=$(approve_tk dave dave "$c0")

h=$(with_trailers "$c0" "$t_bob")
rm -f "$TRASH/hook.time"
expect_push refuse "100,000 changed files, no operations approval" dave "$w" \
	"$h:refs/heads/main" refs/heads/main "$base" \
	"^remote: twokey: error: refs/heads/main: $(short "$h") \"change every file\": not approved: needs 1 more from role operations for path rule 'infra/\*\*' \(infra/d000/f00\.txt, infra/d000/f01\.txt, infra/d000/f02\.txt and 49997 more\); counted: bob \(reviewer\)" \
	"^remote: twokey: note: .*path rule 'infra/\*\*' applies \(infra/d000/f00\.txt, infra/d000/f01\.txt, infra/d000/f02\.txt and 49997 more\)"
read -r secs kib <<EOF
$(tail -1 "$TRASH/hook.time")
EOF
echo "# hook, 100,000 changed files (refused): $secs s, peak RSS $((kib / 1024)) MiB"

h=$(with_trailers "$c0" "$t_bob" "$t_dave")
rm -f "$TRASH/hook.time"
expect_push accept "100,000 changed files, with the operations approval" dave "$w" \
	"$h:refs/heads/main" refs/heads/main "$h" \
	"^remote: twokey: accepted refs/heads/main under rule 'mainline'( |$)"
read -r secs kib <<EOF
$(tail -1 "$TRASH/hook.time")
EOF
echo "# hook, 100,000 changed files (accepted): $secs s, peak RSS $((kib / 1024)) MiB"
check "the hook took under 60 s (bound for a shared CI machine)" \
	awk -v s="$secs" 'BEGIN { exit !(s < 60) }'
check "the hook's peak RSS stayed under 128 MiB" test "$kib" -lt 131072

done_testing
