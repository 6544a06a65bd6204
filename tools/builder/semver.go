package main

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Cargo's version requirements, as far as the builder needs them: whether a component's
// requirement on otelcol-rust-sdk accepts the SDK version the distribution is built with.
// Cargo applies the same rules when it resolves, but it would take another source's copy of the
// SDK rather than refuse, so the builder evaluates them itself to refuse before compiling.
// The rules are the semver crate's (https://doc.rust-lang.org/cargo/reference/specifying-dependencies.html).

// semver is a version MAJOR.MINOR.PATCH[-PRE][+BUILD]; build metadata is ignored.
type semver struct {
	major, minor, patch uint64
	pre                 string // "" for a release
}

func (v semver) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	if v.pre != "" {
		s += "-" + v.pre
	}
	return s
}

func parseSemver(text string) (semver, error) {
	core, _, _ := strings.Cut(text, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 || (hasPre && pre == "") {
		return semver{}, fmt.Errorf("%q is not a version (MAJOR.MINOR.PATCH)", text)
	}
	var numbers [3]uint64
	for i, part := range parts {
		n, err := parseNumber(part)
		if err != nil {
			return semver{}, fmt.Errorf("%q is not a version (MAJOR.MINOR.PATCH)", text)
		}
		numbers[i] = n
	}
	return semver{numbers[0], numbers[1], numbers[2], pre}, nil
}

// parseNumber reads one numeric version field: digits, no sign, no leading zero.
func parseNumber(text string) (uint64, error) {
	if text == "" || strings.TrimLeft(text, "0123456789") != "" || (len(text) > 1 && text[0] == '0') {
		return 0, fmt.Errorf("%q is not a version number", text)
	}
	return strconv.ParseUint(text, 10, 64)
}

// compareSemver orders versions by precedence: a pre-release comes before its release, and
// pre-release identifiers compare numerically when both are numbers, as text otherwise, with
// numbers first.
func compareSemver(a, b semver) int {
	if c := cmp.Or(cmp.Compare(a.major, b.major), cmp.Compare(a.minor, b.minor), cmp.Compare(a.patch, b.patch)); c != 0 {
		return c
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre == "":
		return 1
	case b.pre == "":
		return -1
	}
	as, bs := strings.Split(a.pre, "."), strings.Split(b.pre, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aErr := strconv.ParseUint(as[i], 10, 64)
		bn, bErr := strconv.ParseUint(bs[i], 10, 64)
		var c int
		switch {
		case aErr == nil && bErr == nil:
			c = cmp.Compare(an, bn)
		case aErr == nil:
			c = -1
		case bErr == nil:
			c = 1
		default:
			c = strings.Compare(as[i], bs[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}

// comparator is one clause of a requirement: an operator and a version whose minor and patch
// may be missing (`^0.1`, `>=1`) or wildcards (`0.1.*`).
type comparator struct {
	op           string // "^", "~", "=", ">", ">=", "<", "<=", or "*" for `*` alone
	major        uint64
	minor, patch *uint64 // nil when missing or a wildcard
	pre          string
}

// requirement is a comma-separated list of comparators, all of which must match.
type requirement []comparator

// parseRequirement reads a Cargo requirement: `*`, `1.2.3` (caret), `^0.1`, `~1.2`, `=0.1.0`,
// `>=0.1, <0.3`, `0.1.*`.
func parseRequirement(text string) (requirement, error) {
	var req requirement
	for clause := range strings.SplitSeq(text, ",") {
		c, err := parseComparator(strings.TrimSpace(clause))
		if err != nil {
			return nil, fmt.Errorf("requirement %q: %w", text, err)
		}
		req = append(req, c)
	}
	return req, nil
}

func parseComparator(text string) (comparator, error) {
	if text == "*" || text == "x" || text == "X" {
		return comparator{op: "*"}, nil
	}
	c := comparator{op: "^"} // a bare version is a caret requirement
	for _, op := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
		if rest, ok := strings.CutPrefix(text, op); ok {
			c.op, text = op, strings.TrimSpace(rest)
			break
		}
	}
	core, _, _ := strings.Cut(text, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) > 3 || (hasPre && (pre == "" || len(parts) != 3)) {
		return comparator{}, fmt.Errorf("%q is not a version requirement", text)
	}
	wildcard := false
	var fields []*uint64
	for i, part := range parts {
		if part == "*" || part == "x" || part == "X" {
			if i == 0 {
				return comparator{}, fmt.Errorf("%q: a wildcard major version is written `*` alone", text)
			}
			wildcard = true
			continue
		}
		if wildcard { // `0.*.1`
			return comparator{}, fmt.Errorf("%q is not a version requirement", text)
		}
		n, err := parseNumber(part)
		if err != nil {
			return comparator{}, fmt.Errorf("%q is not a version requirement", text)
		}
		fields = append(fields, &n)
	}
	if wildcard && pre != "" {
		return comparator{}, fmt.Errorf("%q is not a version requirement", text)
	}
	if wildcard && c.op == "^" {
		c.op = "=" // `0.1.*` means `=0.1`
	}
	c.major, c.pre = *fields[0], pre
	if len(fields) > 1 {
		c.minor = fields[1]
	}
	if len(fields) > 2 {
		c.patch = fields[2]
	}
	return c, nil
}

// matches is Cargo's rule: every comparator matches, and a pre-release version is accepted only
// if some comparator names the same MAJOR.MINOR.PATCH with a pre-release of its own.
func (r requirement) matches(v semver) bool {
	preAllowed := v.pre == ""
	for _, c := range r {
		if !c.matches(v) {
			return false
		}
		if c.pre != "" && c.major == v.major && *c.minor == v.minor && *c.patch == v.patch {
			preAllowed = true
		}
	}
	return preAllowed
}

func (c comparator) matches(v semver) bool {
	low := semver{c.major, deref(c.minor), deref(c.patch), c.pre}
	switch c.op {
	case "*":
		return true
	case "=":
		return c.within(v)
	case ">":
		switch {
		case c.minor == nil:
			return v.major > c.major
		case c.patch == nil:
			return v.major > c.major || (v.major == c.major && v.minor > *c.minor)
		}
		return compareSemver(v, low) > 0
	case ">=":
		return compareSemver(v, low) >= 0
	case "<":
		if c.patch == nil { // `<0.2` is `<0.2.0`: below every 0.2 version, pre-releases too
			return compareSemver(semver{v.major, v.minor, v.patch, ""}, low) < 0
		}
		return compareSemver(v, low) < 0
	case "<=":
		return compareSemver(v, low) <= 0 || c.within(v)
	case "~":
		if c.minor == nil {
			return v.major == c.major
		}
		return v.major == c.major && v.minor == *c.minor && compareSemver(v, low) >= 0
	}
	// "^": the versions up to the next change of the leftmost non-zero field given.
	if compareSemver(v, low) < 0 || v.major != c.major {
		return false
	}
	switch {
	case c.major > 0 || c.minor == nil:
		return true
	case *c.minor > 0 || c.patch == nil:
		return v.minor == *c.minor
	}
	return v.minor == *c.minor && v.patch == *c.patch
}

// within is `=`: the exact version, or every version with the given fields when some are missing.
func (c comparator) within(v semver) bool {
	switch {
	case c.minor == nil:
		return v.major == c.major
	case c.patch == nil:
		return v.major == c.major && v.minor == *c.minor
	}
	return compareSemver(v, semver{c.major, *c.minor, *c.patch, c.pre}) == 0
}

func deref(n *uint64) uint64 {
	if n == nil {
		return 0
	}
	return *n
}
