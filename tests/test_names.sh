#!/bin/bash
# CTest: every TEST_CASE name in TESTS_DIR/**/*.cpp survives catch_discover_tests, which lists
# the names, keeps them in a CMake list and runs each CTest entry as `test_x "NAME"` (a Catch2
# test spec, with ',' '[' ']' escaped and nothing else). A name that breaks there makes
# entries that run nothing, the wrong tests or every other test. Rejected, each with its
# file:line: ';' (CMake splits the name in two), '\' (a spec escape), '[' ']' not in pairs
# (CMake keeps the following names in one entry), "]==]" (ends CMake's bracket argument), a
# leading '~' or "exclude:" (the entry runs every other test), '-' (read as an option), '"'
# (a quoted spec) or '#' (listed in quotes), and '*' first or last (a wildcard).
#
#   test_names.sh TESTS_DIR
set -euo pipefail
dir=$1
mapfile -d '' files < <(find "$dir" -name '*.cpp' -print0 | sort -z)
((${#files[@]})) || { echo "no *.cpp under $dir"; exit 1; }
awk '
function fail(why) { printf "%s:%d: test name \"%s\": %s\n", file, line, name, why; bad++ }
function check(   i, c, depth) {
    checked++
    if (index(name, ";")) fail("\";\" splits it in two CTest entries")
    if (index(name, "\\")) fail("\"\\\" is an escape in a Catch2 test spec")
    if (index(name, "]==]")) fail("\"]==]\" ends the bracket argument in the CTest file")
    depth = 0
    for (i = 1; i <= length(name); i++) {
        c = substr(name, i, 1)
        if (c == "[") depth++
        else if (c == "]" && --depth < 0) break
    }
    if (depth != 0) fail("\"[\" and \"]\" not in pairs: CMake joins the following names into this entry")
    if (substr(name, 1, 1) == "~" || substr(name, 1, 8) == "exclude:")
        fail("a leading \"~\" or \"exclude:\" negates the spec: the entry runs every other test")
    if (substr(name, 1, 1) == "-") fail("a leading \"-\" is read as an option")
    if (substr(name, 1, 1) == "\"") fail("a leading quote starts a quoted test spec")
    if (substr(name, 1, 1) == "#") fail("a leading \"#\" is listed in quotes")
    if (substr(name, 1, 1) == "*" || substr(name, length(name), 1) == "*")
        fail("a leading or trailing \"*\" is a wildcard")
}
# Reads the adjacent string literals at the front of rest (they may go on over lines):
# returns 1 when the name is complete, 0 when it needs the next line.
function scan(   c, j) {
    while (1) {
        sub(/^[ \t\r]+/, "", rest)
        if (rest == "") return 0
        c = substr(rest, 1, 1)
        if (c != "\"") {
            if (!seen) { name = "(not a plain string literal)"; fail("the check cannot read it") ; return -1 }
            return 1
        }
        seen = 1
        for (j = 2; j <= length(rest); j++) {
            c = substr(rest, j, 1)
            if (c == "\\") {
                j++; c = substr(rest, j, 1)
                if (c == "t") c = "\t"; else if (c == "n") c = "\n"
                else if (c != "\\" && c != "\"" && c != "?" && c != "'\''") c = "\\" c
                name = name c
            } else if (c == "\"") break
            else name = name c
        }
        rest = substr(rest, j + 1)
    }
}
FNR == 1 { open = 0 }
{
    if (open) rest = $0
    else {
        if ($0 ~ /^[ \t]*\/\//) next
        p = match($0, /(^|[^A-Za-z0-9_])TEST_CASE[ \t]*\(/)
        if (!p) next
        rest = substr($0, RSTART + RLENGTH)
        file = FILENAME; line = FNR; name = ""; seen = 0; open = 1
    }
    r = scan()
    if (r == 1) check()
    if (r != 0) open = 0
}
END {
    if (bad) { printf "%d problems in %d test names (they break catch_discover_tests)\n", bad, checked; exit 1 }
    if (checked == 0) { print "no TEST_CASE found"; exit 1 }
    printf "%d test names checked\n", checked
}' "${files[@]}"
