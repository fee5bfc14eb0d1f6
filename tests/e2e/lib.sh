# Shared set-up for twokey's end-to-end tests, after git's t/test-lib.sh:
# an isolated HOME and git config, fixed dates, real bare repositories with
# the hooks installed, and real `git push`.
#
# Environment from ctest: TK_BIN (build directory), TK_SRC (source tree).
# Usage in a test:  . "$(dirname "$0")/lib.sh"

set -u
: "${TK_BIN:?TK_BIN must name the build directory}"
: "${TK_SRC:?TK_SRC must name the source directory}"

TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/twokey-$TEST_NAME.XXXXXX")
trap 'tk_cleanup' EXIT
tk_cleanup() {
	if [ -n "${tk_unpriv_user:-}" ]; then
		userdel "$tk_unpriv_user" >/dev/null 2>&1 ||
			echo "# could not delete user $tk_unpriv_user" >&2
	fi
	if [ "${tk_failed:-0}" -eq 0 ] && [ -z "${TK_KEEP:-}" ]; then
		rm -rf "$TRASH"
	else
		echo "# kept $TRASH" >&2
	fi
}

export HOME="$TRASH/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL="$HOME/.gitconfig"
unset GIT_DIR GIT_WORK_TREE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
unset TWOKEY_CONFIG GL_USER REMOTE_USER SSH_AUTH_SOCK
export LC_ALL=C TZ=UTC
git config --global init.defaultBranch main
git config --global user.name "Test Default"
git config --global user.email "default@example.com"
git config --global advice.detachedHead false

tk_tick=1767225600 # 2026-01-01T00:00:00Z
test_tick() {
	tk_tick=$((tk_tick + 60))
	export GIT_COMMITTER_DATE="$tk_tick +0000"
	export GIT_AUTHOR_DATE="$tk_tick +0000"
}
test_tick

tk_failed=0
tk_count=0
ok() { tk_count=$((tk_count + 1)); echo "ok $tk_count - $*"; }
not_ok() {
	tk_count=$((tk_count + 1))
	tk_failed=$((tk_failed + 1))
	echo "not ok $tk_count - $*"
}
# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
done_testing() {
	echo "1..$tk_count"
	[ "$tk_failed" -eq 0 ] || { echo "# $tk_failed failed" >&2; exit 1; }
	exit 0
}

# new_server NAME [hooks|hookspath|update]: a bare repository with twokey.
new_server() {
	srv="$TRASH/$1.git"
	git init -q --bare "$srv"
	case "${2:-hooks}" in
	hooks) ln -s "$TK_BIN/twokey-pre-receive" "$srv/hooks/pre-receive" ;;
	update) ln -s "$TK_BIN/twokey-update" "$srv/hooks/update" ;;
	hookspath)
		mkdir -p "$TRASH/hooks-$1"
		ln -s "$TK_BIN/twokey-pre-receive" "$TRASH/hooks-$1/pre-receive"
		git -C "$srv" config core.hooksPath "$TRASH/hooks-$1"
		;;
	esac
	echo "$srv"
}

# new_work NAME: a working clone-like repository.
new_work() {
	w="$TRASH/$1"
	git init -q "$w"
	echo "$w"
}

# commit_as WORKDIR EMAIL MESSAGE [FILE]: a commit authored and committed
# by EMAIL (name derived from it).
commit_as() {
	test_tick
	n=${2%%@*}
	f=${4:-file-$tk_tick}
	echo "$tk_tick $3" >>"$1/$f"
	git -C "$1" add "$f"
	git -C "$1" -c user.name="$n" -c user.email="$2" commit -q -m "$3"
}

# push_as LOGIN WORKDIR ARGS...: git push with the front end's variable set;
# output in $TRASH/out, status returned.  $PUSH_AS, when set, prefixes the
# git command (e.g. $UNPRIV, see unpriv_setup).
push_as() {
	login=$1
	wd=$2
	shift 2
	if [ -n "$login" ]; then
		GL_USER="$login" ${PUSH_AS:-} git -C "$wd" push "$@" >"$TRASH/out" 2>&1
	else
		${PUSH_AS:-} git -C "$wd" push "$@" >"$TRASH/out" 2>&1
	fi
}

# accepted DESC LOGIN WORKDIR ARGS...: the push must succeed.
accepted() {
	d=$1
	shift
	if push_as "$@"; then ok "$d"; else
		not_ok "$d (push refused)"
		sed 's/^/#   /' "$TRASH/out"
	fi
}
# refused DESC LOGIN WORKDIR ARGS...: the push must fail.
refused() {
	d=$1
	shift
	if push_as "$@"; then
		not_ok "$d (push accepted)"
		sed 's/^/#   /' "$TRASH/out"
	else ok "$d"; fi
}
# no_out REGEX: the last push printed no line matching REGEX.
no_out() {
	! grep -E -q -- "$1" "$TRASH/out" || {
		echo "# unexpected match for $1:"
		sed 's/^/#   /' "$TRASH/out"
		return 1
	}
}
# expect_out REGEX: the last push printed a line matching REGEX.
expect_out() { grep -E -q -- "$1" "$TRASH/out" || { echo "# output was:"; sed 's/^/#   /' "$TRASH/out"; return 1; }; }
# ref_is REPO REF VALUE: the server ref has the value ("" for absent).
ref_is() {
	v=$(git -C "$1" rev-parse -q --verify "$2^{}" 2>/dev/null || true)
	[ "$v" = "$3" ] || { echo "# $2 is '$v', expected '$3'"; return 1; }
}
head_of() { git -C "$1" rev-parse HEAD; }

# write_policy FILE: stdin to FILE, then export TWOKEY_CONFIG.
write_policy() {
	cat >"$1"
	export TWOKEY_CONFIG="$1"
}

# unpriv_setup: makes UNPRIV a command prefix that runs a command as an
# unprivileged user, for the cases that test what happens when a file
# cannot be read or written.  Root reads and writes anything, and CI runs
# as root, so there such a case would test nothing: as root, UNPRIV runs
# the command as a throwaway system user made here (tk-test-PID, deleted on
# exit) that can reach $TRASH; otherwise UNPRIV is empty and the command
# runs as the user running the tests.  A missing tool fails the test.
# Call it in the test's own shell, not in $(...).
unpriv_setup() {
	UNPRIV=""
	[ "$(id -u)" -eq 0 ] || return 0
	for p in useradd userdel setpriv; do
		command -v "$p" >/dev/null 2>&1 || {
			echo "Bail out! $p is needed to run permission cases as root"
			exit 1
		}
	done
	tk_unpriv_user="tk-test-$$"
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --user-group "$tk_unpriv_user" || {
		tk_unpriv_user=""
		echo "Bail out! useradd failed"
		exit 1
	}
	UNPRIV="setpriv --reuid=$tk_unpriv_user --regid=$tk_unpriv_user --init-groups"
	# The user finds the test's files (HOME holds git's config) but owns
	# none of them; repositories owned by one are read by the other.
	git config --global --add safe.directory '*'
	chmod 755 "$TRASH" "$HOME"
	chmod 644 "$HOME/.gitconfig"
}
