package main

import (
	"testing"
)

// Guarantees: the builder accepts a component's SDK requirement exactly when Cargo would
// (Cargo's operators, partial versions, wildcards, comma lists, 0.x series and pre-releases).
func TestRequirementMatches(t *testing.T) {
	for _, tc := range []struct {
		req     string
		accepts []string
		refuses []string
	}{
		{"*", []string{"0.0.1", "0.1.0", "7.3.2"}, []string{"0.1.0-dev"}},
		// Caret, written or not: up to the next change of the leftmost non-zero field.
		{"^0.1", []string{"0.1.0", "0.1.9"}, []string{"0.0.9", "0.2.0", "1.1.0"}},
		{"0.1", []string{"0.1.0", "0.1.9"}, []string{"0.2.0"}},
		{"^0.1.2", []string{"0.1.2", "0.1.10"}, []string{"0.1.1", "0.2.0"}},
		{"^0.0.3", []string{"0.0.3"}, []string{"0.0.4", "0.0.2", "0.1.0"}},
		{"^0.0", []string{"0.0.0", "0.0.7"}, []string{"0.1.0"}},
		{"^0", []string{"0.0.0", "0.9.9"}, []string{"1.0.0"}},
		{"^1.2", []string{"1.2.0", "1.9.0"}, []string{"1.1.9", "2.0.0"}},
		{"1.2.3", []string{"1.2.3", "1.3.0"}, []string{"1.2.2", "2.0.0"}},
		{"^1", []string{"1.0.0", "1.9.9"}, []string{"0.9.0", "2.0.0"}},
		// Tilde: patch updates only when a minor is given.
		{"~0.1.2", []string{"0.1.2", "0.1.9"}, []string{"0.1.1", "0.2.0"}},
		{"~1.2", []string{"1.2.0", "1.2.7"}, []string{"1.3.0", "1.1.0"}},
		{"~1", []string{"1.0.0", "1.7.0"}, []string{"2.0.0", "0.9.0"}},
		// Exact, and exact on the fields given.
		{"=0.1.0", []string{"0.1.0"}, []string{"0.1.1", "0.0.9"}},
		{"=0.1", []string{"0.1.0", "0.1.5"}, []string{"0.2.0"}},
		{"=1", []string{"1.0.0", "1.5.0"}, []string{"2.0.0"}},
		{"0.1.*", []string{"0.1.0", "0.1.7"}, []string{"0.2.0"}},
		{"1.*", []string{"1.0.0", "1.9.0"}, []string{"2.0.0"}},
		{"1.x.x", []string{"1.3.0"}, []string{"0.3.0"}},
		// Comparisons, with missing fields.
		{">0.1.0", []string{"0.1.1", "2.0.0"}, []string{"0.1.0", "0.0.9"}},
		{">0.1", []string{"0.2.0", "1.0.0"}, []string{"0.1.9", "0.0.1"}},
		{">1", []string{"2.0.0"}, []string{"1.9.9"}},
		{">=0.1", []string{"0.1.0", "3.0.0"}, []string{"0.0.9"}},
		{">=0.1.2", []string{"0.1.2"}, []string{"0.1.1"}},
		{"<0.2", []string{"0.1.9", "0.0.1"}, []string{"0.2.0", "0.2.0-alpha", "1.0.0"}},
		{"<0.2.0", []string{"0.1.9"}, []string{"0.2.0"}},
		{"<=0.1", []string{"0.1.9", "0.0.1"}, []string{"0.2.0"}},
		{"<=0.1.2", []string{"0.1.2", "0.1.1"}, []string{"0.1.3"}},
		{"<=1", []string{"1.9.0"}, []string{"2.0.0"}},
		// Every comparator of a list must match.
		{">=0.1, <0.3", []string{"0.1.0", "0.2.9"}, []string{"0.3.0", "0.0.9"}},
		{">= 0.1.0 , < 0.1.5", []string{"0.1.4"}, []string{"0.1.5"}},
		// A pre-release only when a comparator names its MAJOR.MINOR.PATCH with a pre-release.
		{"^0.1.0-dev", []string{"0.1.0-dev", "0.1.0-dev.2", "0.1.0", "0.1.3"}, []string{"0.1.1-dev", "0.1.0-alpha"}},
		{">=0.1.0-alpha.2", []string{"0.1.0-alpha.10", "0.1.0-beta", "0.1.0"}, []string{"0.1.0-alpha.1", "0.2.0-alpha.3"}},
		{"^0.1", []string{"0.1.0+build.5"}, []string{"0.1.5-rc.1"}},
	} {
		req, err := parseRequirement(tc.req)
		if err != nil {
			t.Errorf("parseRequirement(%q): %v", tc.req, err)
			continue
		}
		for _, want := range []bool{true, false} {
			versions := tc.accepts
			if !want {
				versions = tc.refuses
			}
			for _, text := range versions {
				v, err := parseSemver(text)
				if err != nil {
					t.Fatal(err)
				}
				if got := req.matches(v); got != want {
					t.Errorf("%q matches %s = %v, want %v", tc.req, text, got, want)
				}
			}
		}
	}
}

// Guarantees: a requirement or version Cargo would not accept is refused with the text named.
func TestRequirementErrors(t *testing.T) {
	for _, tc := range []struct{ req, want string }{
		{"", `requirement "": "" is not a version requirement`},
		{"0.1,", `requirement "0.1,": "" is not a version requirement`},
		{"0.1.2.3", `requirement "0.1.2.3": "0.1.2.3" is not a version requirement`},
		{"0.*.1", `requirement "0.*.1": "0.*.1" is not a version requirement`},
		{"*.1", `requirement "*.1": "*.1": a wildcard major version is written ` + "`*`" + ` alone`},
		{"0.1-dev", `requirement "0.1-dev": "0.1-dev" is not a version requirement`},
		{"01.2", `requirement "01.2": "01.2" is not a version requirement`},
		{"^v1", `requirement "^v1": "v1" is not a version requirement`},
	} {
		if _, err := parseRequirement(tc.req); err == nil || err.Error() != tc.want {
			t.Errorf("parseRequirement(%q) = %v, want %s", tc.req, err, tc.want)
		}
	}
	for _, text := range []string{"0.1", "0.1.0-", "1.2.x", "a.b.c", "1.02.0"} {
		if _, err := parseSemver(text); err == nil {
			t.Errorf("parseSemver(%q) accepted", text)
		}
	}
}

// Guarantees: versions order by semver precedence (the pre-release rules Cargo uses).
func TestCompareSemver(t *testing.T) {
	ordered := []string{"0.0.1", "0.1.0-alpha", "0.1.0-alpha.1", "0.1.0-alpha.beta", "0.1.0-beta", "0.1.0-beta.2", "0.1.0-beta.11", "0.1.0-rc.1", "0.1.0", "0.1.1", "0.2.0", "1.0.0"}
	for i := 1; i < len(ordered); i++ {
		a, _ := parseSemver(ordered[i-1])
		b, _ := parseSemver(ordered[i])
		if compareSemver(a, b) >= 0 || compareSemver(b, a) <= 0 {
			t.Errorf("%s should come before %s", a, b)
		}
	}
}
