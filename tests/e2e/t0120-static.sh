#!/bin/sh
# Static programs (docs/static-build.md): with TWOKEY_STATIC (the default)
# the programs load no shared library and no dynamic loader, and the hook
# decides real pushes while running in an empty chroot that holds only the
# program, the policy and the repository.  In a sanitizer or valgrind build
# the programs are dynamic but carry libgit2 (and the other libraries)
# from the static archives; with TWOKEY_STATIC=OFF they use the system's
# shared libgit2.  (scripts/test also builds TWOKEY_STATIC=OFF once.)
#
# From ctest: TK_BUILD (the build directory, where the real programs are),
# TK_STATIC, TK_STATIC_EXE (the build's configuration).
. "$(dirname "$0")/lib.sh"

# scripts/deps installs them; without one nothing here would be tested.
for tool in readelf ldd; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "Bail out! $tool is required"; exit 1; }
done
: "${TK_BUILD:?TK_BUILD must name the build directory}"
: "${TK_STATIC:?TK_STATIC must say how the build links (ON/OFF)}"
: "${TK_STATIC_EXE:?TK_STATIC_EXE must say whether the programs are static}"
is_on() { case $1 in ON | on | 1 | TRUE | true | YES | yes) return 0 ;; esac; return 1; }

needed() { readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# static FILE: no program interpreter, no shared library, and ldd agrees.
static() {
	if readelf -lW "$1" | grep -q INTERP; then
		echo "# $1 has a program interpreter"
		return 1
	fi
	n=$(needed "$1")
	[ -z "$n" ] || { echo "# $1 needs:" $n; return 1; }
	ldd "$1" >"$TRASH/ldd" 2>&1
	grep -Eq 'not a dynamic executable|statically linked' "$TRASH/ldd" ||
		{ sed 's/^/# ldd: /' "$TRASH/ldd"; return 1; }
}
# needs FILE LIB: FILE loads a shared library whose name starts with LIB.
needs() { needed "$1" | grep -q "^$2"; }

progs="twokey twokey-pre-receive twokey-update"
if is_on "$TK_STATIC_EXE"; then
	# -static (ELF type EXEC, "not a dynamic executable"), or with
	# TWOKEY_STATIC_PIE -static-pie (type DYN, "statically linked").
	if is_on "${TK_STATIC_PIE:-OFF}"; then type=DYN; else type=EXEC; fi
	for p in $progs; do
		check "$p is static" static "$TK_BUILD/$p"
		check "$p is ELF type $type" \
			sh -c "readelf -hW '$TK_BUILD/$p' | grep -q 'Type: *$type'"
		[ "$type" = DYN ] ||
			check "ldd: $p is not a dynamic executable" \
				sh -c "ldd '$TK_BUILD/$p' 2>&1 | grep -q 'not a dynamic executable'"
	done
elif is_on "$TK_STATIC"; then
	echo "# a sanitizer or valgrind build: dynamic programs, static archives"
	for p in $progs; do
		for lib in libgit2 libyaml libpcre2 libcrypto libssl libz libhttp_parser; do
			check "$p does not load $lib (linked from the archive)" \
				sh -c "! readelf -dW '$TK_BUILD/$p' | grep '(NEEDED)' | grep -q '\\[$lib'"
		done
	done
else
	for p in $progs; do
		check "$p loads the system's libgit2 (TWOKEY_STATIC=OFF)" \
			needs "$TK_BUILD/$p" libgit2.so
	done
fi
check "twokey-pre-receive --version runs" \
	sh -c "'$TK_BIN/twokey-pre-receive' --version | grep -q '^twokey-pre-receive '"

if ! is_on "$TK_STATIC_EXE"; then
	echo "# the chroot pushes need the static programs: not in this build"
	done_testing
fi

# --- a real push whose hook runs in an empty chroot ------------------------
# How to enter a chroot here: as root directly, else in a user namespace.
# (Absolute paths: the hook runs them with an empty environment.)
chroot=$(command -v chroot 2>/dev/null || true)
unshare=$(command -v unshare 2>/dev/null || true)
if [ "$(id -u)" -eq 0 ] && [ -n "$chroot" ]; then
	enter="$chroot"
elif [ -n "$chroot" ] && [ -n "$unshare" ] && "$unshare" -r true 2>/dev/null; then
	enter="$unshare -r $chroot"
else
	not_ok "enter a chroot (neither root nor user namespaces)"
	done_testing
fi
echo "# chroot with: $enter"

root="$TRASH/root" # no ':' in it: git splits alternates on ':'
mkdir -p "$root/bin" "$root/etc/twokey"
cp "$TK_BUILD/twokey-pre-receive" "$root/bin/"
cat >"$root/etc/twokey/policy.yaml" <<'EOF'
version: 1
roles:
  developer: writes code
  operations: deploys
identities:
  alice:
    emails: [alice@example.com]
    logins: [alice]
    roles: [developer]
  olga:
    emails: [olga@example.com]
    logins: [olga]
    roles: [operations]
pusher:
  env: [GL_USER]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
    create: [operations]
    pusher-may-write: false
  - name: everything else
    refs: '.*'
EOF
srv="$root/repo.git"
git init -q --bare "$srv"
# The hook git runs: it enters the chroot with an empty environment but for
# the pusher and git's variables, their paths made relative to the new
# root (as GitHub Enterprise Server does when it runs a hook).  The
# program's default policy path, /etc/twokey/policy.yaml, is the one in the
# chroot.
cat >"$srv/hooks/pre-receive" <<EOF
#!/bin/sh
root='$root'
inside() { printf '%s' "\${1#"\$root"}"; }
exec env -i \${GL_USER+GL_USER="\$GL_USER"} GIT_DIR=/repo.git \\
	\${GIT_QUARANTINE_PATH+GIT_QUARANTINE_PATH="\$(inside "\$GIT_QUARANTINE_PATH")"} \\
	\${GIT_OBJECT_DIRECTORY+GIT_OBJECT_DIRECTORY="\$(inside "\$GIT_OBJECT_DIRECTORY")"} \\
	\${GIT_ALTERNATE_OBJECT_DIRECTORIES+GIT_ALTERNATE_OBJECT_DIRECTORIES="\$(inside "\$GIT_ALTERNATE_OBJECT_DIRECTORIES")"} \\
	$enter "\$root" /bin/twokey-pre-receive
EOF
chmod 755 "$srv/hooks/pre-receive"

(cd "$root" && find . -path ./repo.git -prune -o -type f -print | LC_ALL=C sort) >"$TRASH/files"
printf '%s\n' ./bin/twokey-pre-receive ./etc/twokey/policy.yaml >"$TRASH/files.want"
check "the chroot holds the program and the policy only (and the repository)" \
	diff -u "$TRASH/files.want" "$TRASH/files"
check "in the chroot: twokey-pre-receive --version" \
	sh -c "env -i $enter '$root' /bin/twokey-pre-receive --version | grep -q '^twokey-pre-receive '"

w=$(new_work work)
commit_as "$w" alice@example.com "base"
base=$(head_of "$w")
accepted "olga (operations) creates main at a commit alice wrote" olga "$w" -q "$srv" HEAD:refs/heads/main
check "... main is at the base commit" ref_is "$srv" refs/heads/main "$base"
commit_as "$w" alice@example.com "alice's change"
by_alice=$(head_of "$w")
refused "alice (developer) moves main: refused" alice "$w" "$srv" HEAD:refs/heads/main
check "... the hook in the chroot says why" expect_out "pusher 'alice' may not update this ref"
check "... main did not move" ref_is "$srv" refs/heads/main "$base"
accepted "olga moves main to alice's commit (read from the quarantine)" \
	olga "$w" "$srv" HEAD:refs/heads/main
check "... main moved" ref_is "$srv" refs/heads/main "$by_alice"
commit_as "$w" olga@example.com "olga's change"
refused "olga moves main to a commit she wrote: refused" olga "$w" "$srv" HEAD:refs/heads/main
check "... and the hook says why" expect_out "pusher 'olga' wrote this commit"
refused "no pusher on main: refused" "" "$w" "$srv" HEAD:refs/heads/main
accepted "alice pushes a topic branch (no rule needs anything)" \
	alice "$w" "$srv" HEAD:refs/heads/topic

done_testing
