#!/bin/sh
# The documents hold together: every relative link in README.md and
# docs/*.md names a file that exists (and, for "#anchor" links into
# Markdown, a heading that exists); the README's contents list names every
# section; no file points outside the repository at the team's design notes;
# every man page renders without a groff warning.  The checker is first run
# on documents broken on purpose, so that it is known to fail when it must.
. "$(dirname "$0")/lib.sh"

# links FILE: "target" for every Markdown link [text](target) outside code
# (fenced blocks, indented blocks, `code spans`), one a line.
links() {
	awk '
	/^```/ { fence = !fence; next }
	fence || /^(    |\t)/ { next }
	{
		line = $0
		gsub(/`[^`]*`/, "", line)
		while (match(line, /\]\([^)]*\)/)) {
			print substr(line, RSTART + 2, RLENGTH - 3)
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$1"
}

# slugs FILE: the anchors of FILE's headings, as GitHub makes them.
slugs() {
	awk '
	/^```/ { fence = !fence; next }
	!fence && /^#+ / {
		s = tolower($0)
		sub(/^#+ /, "", s)
		gsub(/[^a-z0-9 _-]/, "", s)
		gsub(/ /, "-", s)
		print s
	}' "$1"
}

# check_links FILE...: prints each broken link; fails when there is one.
check_links() {
	bad=0
	for f in "$@"; do
		dir=$(dirname "$f")
		for l in $(links "$f"); do
			case $l in
			http://* | https://* | mailto:*) continue ;;
			'#'*) path=$f anchor=${l#\#} ;;
			*'#'*) path=$dir/${l%%#*} anchor=${l#*#} ;;
			*) path=$dir/$l anchor="" ;;
			esac
			if [ ! -e "$path" ]; then
				echo "# $f: link to a missing file: $l"
				bad=1
			elif [ -n "$anchor" ] && case $path in *.md) true ;; *) false ;; esac &&
				! slugs "$path" | grep -qx -- "$anchor"; then
				echo "# $f: link to a missing heading: $l"
				bad=1
			fi
		done
	done
	return $bad
}

# check_contents FILE: every "## " and "### " heading is linked from FILE.
check_contents() {
	bad=0
	for s in $(awk '/^```/ { f = !f } !f && /^##+ /' "$1" | sed 1d |
		awk '{ s = tolower($0); sub(/^#+ /, "", s);
		gsub(/[^a-z0-9 _-]/, "", s); gsub(/ /, "-", s); print s }'); do
		grep -q "](#$s)" "$1" || { echo "# $1: not in the contents: #$s"; bad=1; }
	done
	return $bad
}

# outside_refs DIR: files under DIR naming the team's design notes.
design="DESIGN"".md"
shared='\.\./sh''ared'
outside_refs() {
	grep -rIl --exclude-dir=.git --exclude-dir='build*' \
		-e "$design" -e "$shared" "$1"
}

# --- the checker fails on broken documents ---------------------------------
mkdir -p "$TRASH/bad/docs"
cat >"$TRASH/bad/README.md" <<'EOF'
# bad

## Contents

- [Here](#here)

## Here

See [the spec](docs/spec.md), [a section](docs/a.md#nowhere) and
[a file](docs/missing.md); `[code](docs/not-a-link.md)` is not a link.

## Forgotten
EOF
printf '# A\n\n## Somewhere\n' >"$TRASH/bad/docs/a.md"
: >"$TRASH/bad/docs/spec.md"
check_links "$TRASH/bad/README.md" >"$TRASH/bad.out"
check "the link checker fails on a missing file and a missing heading" \
	test $? -ne 0
check "it names the missing file" grep -q 'missing file: docs/missing.md' "$TRASH/bad.out"
check "it names the missing heading" grep -q 'missing heading: docs/a.md#nowhere' "$TRASH/bad.out"
check "it finds exactly those two" test "$(wc -l <"$TRASH/bad.out")" -eq 2
check_contents "$TRASH/bad/README.md" >"$TRASH/bad.out"
check "the contents checker fails on a section left out" test $? -ne 0
check "it names the section" grep -q '#forgotten' "$TRASH/bad.out"
echo "see the $design" >"$TRASH/bad/docs/notes.txt"
check "a mention of the design notes is found" \
	test "$(outside_refs "$TRASH/bad")" = "$TRASH/bad/docs/notes.txt"

# --- the real documents ----------------------------------------------------
cd "$TK_SRC" || exit 1
check "every relative link in README.md and docs/*.md resolves" \
	check_links README.md docs/*.md
check "the README's contents list names every section" \
	check_contents README.md
outside=$(outside_refs .)
check "no file mentions the team's design notes or the directory beside the clone" \
	test -z "$outside"
[ -z "$outside" ] || echo "# mentioned in:" $outside
check "the README is a landing page (at most 250 lines)" \
	test "$(wc -l <README.md)" -le 250
unlinked=""
for f in docs/*.md; do
	grep -q "]($f)" README.md || unlinked="$unlinked $f"
done
check "the README links every document under docs/" test -z "$unlinked"
[ -z "$unlinked" ] || echo "# not linked from README.md:$unlinked"

# Man pages: rendered as man(1) would, and groff warns about nothing.
# twokey-update.1 is ".so man1/twokey-pre-receive.1", resolved from a
# manual tree.
mkdir -p "$TRASH/man/man1" "$TRASH/man/man5"
cp docs/man/*.1 "$TRASH/man/man1/"
cp docs/man/*.5 "$TRASH/man/man5/"
for m in "$TRASH"/man/man1/*.1 "$TRASH"/man/man5/*.5; do
	n=$(basename "$m")
	(cd "$TRASH/man" && man -l "$m" >"$TRASH/$n.txt" 2>"$TRASH/$n.err")
	check "man -l $n renders" test $? -eq 0 -a -s "$TRASH/$n.txt" -a ! -s "$TRASH/$n.err"
	(cd "$TRASH/man" && groff -man -Tutf8 -ww -z "$m") 2>"$TRASH/$n.groff"
	check "groff -ww finds nothing to warn about in $n" test ! -s "$TRASH/$n.groff"
	[ -s "$TRASH/$n.groff" ] && sed 's/^/# /' "$TRASH/$n.groff"
	[ -s "$TRASH/$n.err" ] && sed 's/^/# /' "$TRASH/$n.err"
done

done_testing
