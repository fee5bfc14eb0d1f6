#!/bin/sh
# Packaging: the install layout (cmake --install), the Debian package
# (scripts/package: file list, Depends, no conffiles, the extracted programs
# run; installed with dpkg -i and removed again when the machine allows it),
# and the GitHub Enterprise Server hook environment (scripts/ghes-tarball:
# a static program and a static shell; the hook decides pushes inside a
# chroot of the extracted tarball, or with an empty environment when chroot
# is not allowed).  The packaged programs are static (docs/static-build.md).
#
# Builds in build-pkg and build-ghes of the source tree (Release, no tests),
# reusing them when present.  TK_SKIP_DPKG_INSTALL=1 skips dpkg -i.
. "$(dirname "$0")/lib.sh"
unset GITHUB_USER_LOGIN GITHUB_USER_IP GITHUB_VIA

# quiet COMMAND...: COMMAND's output shown (as TAP comments) only if it fails.
quiet() {
	"$@" >"$TRASH/quiet" 2>&1 || {
		sed 's/^/#   /' "$TRASH/quiet"
		return 1
	}
}

# scripts/deps installs them; without one nothing here would be tested.
for tool in cmake cpack dpkg-deb tar ldd readelf; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "Bail out! $tool is required"; exit 1; }
done
version=$(sed -n 's/^project(twokey VERSION \([0-9.]*\).*/\1/p' "$TK_SRC/CMakeLists.txt")

# --- the Debian package --------------------------------------------------
deb=$("$TK_SRC/scripts/package" 2>"$TRASH/package.err")
check "scripts/package builds a .deb" test -f "$deb"
[ -f "$deb" ] || { cat "$TRASH/package.err"; done_testing; }
case $deb in
*/twokey_"$version"-*.deb) ok "the .deb is named after project() ($version)" ;;
*) not_ok "the .deb is named after project() ($version): $deb" ;;
esac

dpkg-deb -c "$deb" | awk '{ print $(NF - 1) == "->" ? $(NF - 2) : $NF }' |
	sed 's|^\./|/|' >"$TRASH/files"
missing=""
for f in /usr/bin/twokey /usr/bin/twokey-pre-receive /usr/bin/twokey-update \
	/usr/share/man/man1/twokey.1 /usr/share/man/man1/twokey-pre-receive.1 \
	/usr/share/man/man1/twokey-update.1 /usr/share/man/man5/twokey-policy.5 \
	/usr/share/doc/twokey/examples/policy.example.yaml \
	/usr/share/doc/twokey/README.md /usr/share/doc/twokey/docs/decisions.md \
	/usr/share/doc/twokey/docs/spec.md /usr/share/doc/twokey/docs/glossary.md \
	/usr/bin/git-twokey /usr/share/doc/twokey/contrib/twokey-approve; do
	grep -qx "$f" "$TRASH/files" || missing="$missing $f"
done
check "the package holds the programs, man pages, docs and example" \
	test -z "$missing"
[ -z "$missing" ] || echo "# missing:$missing"
check "the package ships nothing under /etc (no policy)" \
	sh -c "! grep -q '^/etc' '$TRASH/files'"
check "every file is under /usr" \
	sh -c "! grep -v -e '^/\$' -e '^/usr' '$TRASH/files'"
mkdir "$TRASH/control"
dpkg-deb -e "$deb" "$TRASH/control"
check "no conffiles" test ! -e "$TRASH/control/conffiles"

field() { dpkg-deb -f "$deb" "$1"; }
check "Package: twokey" test "$(field Package)" = twokey
check "Version from project()" sh -c "case '$(field Version)' in $version|$version-*) exit 0;; esac; exit 1"
check "Section: vcs" test "$(field Section)" = vcs
check "a Maintainer" test -n "$(field Maintainer)"
check "a Description" test -n "$(field Description)"
depends=$(field Depends)
echo "# Depends: $depends"
for d in git openssh-client; do
	check "Depends names $d" sh -c "echo '$depends' | tr ',' '\n' | sed 's/^ *//' | grep -q '^$d\\( \\|\$\\)'"
done
for d in libgit2-1.5 libyaml-0-2 libssl3 libpcre2-8-0 libc6; do
	check "Depends does not name $d (static programs)" sh -c "! echo '$depends' | tr ',' '\n' | sed 's/^ *//' | grep -q '^$d\\( \\|\$\\)'"
done

x="$TRASH/x"
dpkg-deb -x "$deb" "$x"
# static FILE: no program interpreter, no shared library, and ldd agrees.
static() {
	! readelf -lW "$1" | grep -q INTERP &&
		! readelf -dW "$1" | grep -q '(NEEDED)' &&
		ldd "$1" 2>&1 | grep -Eq 'not a dynamic executable|statically linked'
}
for p in twokey twokey-pre-receive twokey-update; do
	check "the packaged $p is static" static "$x/usr/bin/$p"
done
check "the extracted twokey runs: --version" \
	test "$("$x/usr/bin/twokey" --version 2>&1)" = "twokey $version"
check "the extracted hook runs: --version" \
	test "$("$x/usr/bin/twokey-pre-receive" --version 2>&1)" = "twokey-pre-receive $version"
check "the extracted twokey checks the shipped example" \
	quiet "$x/usr/bin/twokey" config check "$x/usr/share/doc/twokey/examples/policy.example.yaml"
check "the extracted twokey checks the shipped code-owners example" \
	quiet "$x/usr/bin/twokey" config check "$x/usr/share/doc/twokey/examples/policy.codeowners.yaml"
check "the default policy path is /etc/twokey/policy.yaml" \
	sh -c "'$x/usr/bin/twokey-pre-receive' --help | grep -q '/etc/twokey/policy.yaml'"

# dpkg -i on this machine, only when that leaves it as it was: root, dpkg,
# no twokey package, and none of its files present.
can_install=yes
[ "$(id -u)" -eq 0 ] || can_install="not root"
command -v dpkg >/dev/null 2>&1 || can_install="no dpkg"
[ -z "${TK_SKIP_DPKG_INSTALL:-}" ] || can_install="TK_SKIP_DPKG_INSTALL set"
if [ "$can_install" = yes ] &&
	dpkg-query -W -f='${Status}' twokey 2>/dev/null | grep -q installed; then
	can_install="a twokey package is installed"
fi
if [ "$can_install" = yes ]; then
	while read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || can_install="$f exists"
	done <"$TRASH/files"
fi
if [ "$can_install" = yes ]; then
	if dpkg -i "$deb" >"$TRASH/dpkg.out" 2>&1; then
		ok "dpkg -i installs the package"
		check "installed: twokey --version" \
			test "$(/usr/bin/twokey --version 2>&1)" = "twokey $version"
		if command -v man >/dev/null 2>&1; then
			check "installed: man -w twokey-policy" \
				test "$(man -w twokey-policy 2>/dev/null)" = /usr/share/man/man5/twokey-policy.5
			check "installed: man -w twokey-pre-receive" \
				test "$(man -w twokey-pre-receive 2>/dev/null)" = /usr/share/man/man1/twokey-pre-receive.1
		fi
		check "installed: no /etc/twokey/policy.yaml from the package" \
			sh -c "! dpkg -L twokey | grep -q '^/etc'"
	else
		not_ok "dpkg -i installs the package"
		sed 's/^/#   /' "$TRASH/dpkg.out"
	fi
	dpkg -r twokey >>"$TRASH/dpkg.out" 2>&1 || dpkg --purge twokey >/dev/null 2>&1
	check "dpkg -r twokey removes it again" \
		sh -c "! dpkg-query -W -f='\${Status}' twokey 2>/dev/null | grep -q 'ok installed' && test ! -e /usr/bin/twokey"
else
	echo "# dpkg -i skipped: $can_install"
fi

# --- cmake --install layout ----------------------------------------------
p="$TRASH/prefix"
check "cmake --install build-pkg --prefix P" \
	quiet cmake --install "$TK_SRC/build-pkg" --prefix "$p"
(cd "$p" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$TRASH/layout"
# Every docs/*.md of the source tree is installed under docs/ beside the
# README, so that the README's links hold there too.
{
	cat <<'EOF'
bin/twokey
bin/twokey-pre-receive
bin/twokey-update
share/doc/twokey/README.md
share/doc/twokey/examples/policy.codeowners.yaml
share/doc/twokey/contrib/twokey-approve
share/doc/twokey/examples/policy.example.yaml
share/man/man1/twokey-pre-receive.1
share/man/man1/twokey-update.1
share/man/man1/twokey.1
share/man/man5/twokey-policy.5
EOF
	(cd "$TK_SRC" && for f in docs/*.md; do echo "share/doc/twokey/$f"; done)
	# audit.postgres's helper, built where libpq is (TWOKEY_POSTGRES).
	[ ! -e "$TK_BIN/twokey-pg" ] || echo bin/twokey-pg
} | LC_ALL=C sort >"$TRASH/layout.want"
check "the installed layout is exactly the expected one" \
	diff -u "$TRASH/layout.want" "$TRASH/layout"
check "installed programs are executable" \
	test -x "$p/bin/twokey" -a -x "$p/bin/twokey-pre-receive" -a -x "$p/bin/twokey-update"
check "bin/git-twokey is a link to twokey (for git twokey)" \
	test -L "$p/bin/git-twokey" -a "$(readlink "$p/bin/git-twokey")" = twokey
check "git twokey runs it" sh -c \
	"PATH='$p/bin':\$PATH git twokey --version | grep -q '^twokey '"

# --- GitHub Enterprise Server hook environment ---------------------------
cat >"$TRASH/ghes-policy.yaml" <<'EOF'
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
  env: [GITHUB_USER_LOGIN]
rules:
  - name: mainline
    refs: 'refs/heads/main'
    update: [operations]
    create: [operations]
    pusher-may-write: false
  - name: everything else
    refs: '.*'
EOF
tgz=$("$TK_SRC/scripts/ghes-tarball" --policy "$TRASH/ghes-policy.yaml" \
	--output "$TRASH/ghes.tar.gz" 2>"$TRASH/ghes.err")
check "scripts/ghes-tarball builds a tarball" test -f "$TRASH/ghes.tar.gz"
[ -f "$TRASH/ghes.tar.gz" ] || { cat "$TRASH/ghes.err"; done_testing; }
check "it prints the tarball's path" test "$tgz" = "$TRASH/ghes.tar.gz"
tar -tvzf "$TRASH/ghes.tar.gz" >"$TRASH/ghes.list"
check "the tarball has no symlinks" sh -c "! grep -q '^l' '$TRASH/ghes.list'"
check "the tarball's paths are relative" sh -c "! awk '{print \$NF}' '$TRASH/ghes.list' | grep -q '^/'"
awk '$1 !~ /^d/ {print $NF}' "$TRASH/ghes.list" >"$TRASH/ghes.files"
printf '%s\n' ./bin/sh ./bin/twokey-pre-receive ./etc/twokey/policy.yaml \
	>"$TRASH/ghes.want"
check "the tarball holds a shell, the hook and the policy, nothing else" \
	diff -u "$TRASH/ghes.want" "$TRASH/ghes.files"

root="$TRASH/ghes-root"
mkdir "$root"
tar -C "$root" -xzf "$TRASH/ghes.tar.gz"
check "the bundled policy is the one given" cmp "$TRASH/ghes-policy.yaml" "$root/etc/twokey/policy.yaml"
check "the bundled hook is static" static "$root/bin/twokey-pre-receive"
check "the bundled shell is static" static "$root/bin/sh"
# A hook script as GitHub Enterprise Server would run it from the hook
# repository (the recipe in docs/servers.md).
printf '#!/bin/sh\nexec /bin/twokey-pre-receive\n' >"$root/twokey.sh"
chmod 755 "$root/twokey.sh"

# The repository, inside the chroot (GHES mounts it there): main at a base
# commit, and the candidate commits on other refs.
srv="$root/repo.git"
git init -q --bare "$srv"
w=$(new_work ghes-work)
commit_as "$w" olga@example.com "base"
base=$(head_of "$w")
commit_as "$w" alice@example.com "alice's change"
by_alice=$(head_of "$w")
commit_as "$w" olga@example.com "olga's change"
by_olga=$(head_of "$w")
quiet git -C "$w" push -q "$srv" "$base:refs/heads/main" \
	"$by_alice:refs/heads/alice" "$by_olga:refs/heads/olga"
zero=0000000000000000000000000000000000000000

# Runners: 'direct' runs the program from the extracted tree with an empty
# environment but the policy's path; 'chroot' runs the hook script inside a
# chroot of the tree.
modes=direct
chroot=$(command -v chroot 2>/dev/null || true)
if [ "$(id -u)" -eq 0 ] && [ -n "$chroot" ] &&
	env -i "$chroot" "$root" /bin/sh -c 'exit 0' 2>/dev/null; then
	modes="chroot direct"
else
	echo "# chroot not permitted: the wrapper runs with env -i only"
fi
# hook MODE ROOT LOGIN "OLD NEW REF": the hook's exit status.
hook() {
	if [ "$1" = chroot ]; then
		printf '%s\n' "$4" | env -i ${3:+GITHUB_USER_LOGIN=$3} \
			GIT_DIR=/repo.git "$chroot" "$2" /twokey.sh >"$TRASH/out" 2>&1
	else
		printf '%s\n' "$4" | env -i ${3:+GITHUB_USER_LOGIN=$3} \
			TWOKEY_CONFIG="$2/etc/twokey/policy.yaml" \
			GIT_DIR="$2/repo.git" "$2/bin/twokey-pre-receive" >"$TRASH/out" 2>&1
	fi
}
accepts() { hook "$@" || { sed 's/^/#   /' "$TRASH/out"; return 1; }; }
refuses() {
	hook "$@"
	rc=$?
	[ "$rc" -eq 1 ] || { echo "# exit $rc, expected 1"; sed 's/^/#   /' "$TRASH/out"; return 1; }
}
for m in $modes; do
	if [ "$m" = chroot ]; then
		v=$(env -i "$chroot" "$root" /bin/twokey-pre-receive --version 2>&1)
	else
		v=$(env -i "$root/bin/twokey-pre-receive" --version 2>&1)
	fi
	check "$m: the bundled hook runs: --version" test "$v" = "twokey-pre-receive $version"
	check "$m: olga (operations) moves main to alice's commit: accepted" \
		accepts "$m" "$root" olga "$base $by_alice refs/heads/main"
	check "$m: alice (developer) moves main: refused" \
		refuses "$m" "$root" alice "$base $by_alice refs/heads/main"
	check "$m: ... and says why" expect_out "pusher 'alice' may not update this ref"
	check "$m: olga moves main to a commit she wrote: refused" \
		refuses "$m" "$root" olga "$base $by_olga refs/heads/main"
	check "$m: ... and says why" expect_out "pusher 'olga' wrote this commit"
	check "$m: alice creates a topic branch: accepted" \
		accepts "$m" "$root" alice "$zero $by_alice refs/heads/topic"
	check "$m: no GITHUB_USER_LOGIN on main: refused" \
		refuses "$m" "$root" "" "$base $by_alice refs/heads/main"
done

# Without --policy, the environment carries a placeholder that refuses.
check "scripts/ghes-tarball without --policy" \
	quiet "$TK_SRC/scripts/ghes-tarball" --output "$TRASH/ghes-default.tar.gz"
root2="$TRASH/ghes-default"
mkdir "$root2"
tar -C "$root2" -xzf "$TRASH/ghes-default.tar.gz"
cp -R "$srv" "$root2/repo.git"
printf '#!/bin/sh\nexec /bin/twokey-pre-receive\n' >"$root2/twokey.sh"
chmod 755 "$root2/twokey.sh"
for m in $modes; do
	check "$m: the placeholder policy refuses every push" \
		refuses "$m" "$root2" alice "$zero $by_alice refs/heads/topic"
	check "$m: ... saying the server's policy is broken" \
		expect_out "the server's twokey policy is broken, so no push to any ref is allowed"
done

done_testing
