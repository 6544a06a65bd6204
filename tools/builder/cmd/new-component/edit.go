package main

import (
	"fmt"
	"regexp"
	"strings"
)

// Text edits of the files a new component is wired into. Each finds an anchor (a list or a
// block of lines the file already has), inserts one entry in sorted position and leaves every
// other byte (comments included) as it was; a missing anchor is an error, so nothing is
// written when a file has changed shape.

// listStyle says how a list that grows from one line is laid out.
type listStyle int

const (
	tomlList  listStyle = iota // stays on one line (rust/Cargo.toml's members)
	bazelList                  // buildifier's layout: one entry per line once it has two
)

var quoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// insertIntoList inserts entry into the bracketed list of strings that starts at the first
// match of opening (which must end with "[") at or after from. Among the entries starting with
// group ("" for all) it goes before the first one that sorts after it, else after the group's
// last entry (or the list's last one when no entry is in the group).
func insertIntoList(text string, from int, opening *regexp.Regexp, entry, group string, style listStyle) (string, error) {
	loc := opening.FindStringIndex(text[from:])
	if loc == nil {
		return "", fmt.Errorf("no %s", opening)
	}
	open := from + loc[1] - 1 // the "["
	closing := strings.IndexByte(text[open:], ']')
	if text[open] != '[' || closing < 0 {
		return "", fmt.Errorf("%s: no list", opening)
	}
	closing += open
	body := text[open+1 : closing]
	spans := quoted.FindAllStringSubmatchIndex(body, -1)
	var entries []string
	for _, span := range spans {
		entries = append(entries, body[span[2]:span[3]])
	}
	for _, existing := range entries {
		if existing == entry {
			return "", fmt.Errorf("%s already lists %q", opening, entry)
		}
	}
	at := position(entries, entry, group, style.sortKey) // insert before entries[at]

	if strings.Contains(body, "\n") {
		// One entry per line: a new line, indented like the others.
		var lineStart int
		if at < len(entries) {
			lineStart = lineStartOf(text, open+1+spans[at][0])
		} else if len(entries) > 0 {
			lastEnd := open + 1 + spans[len(spans)-1][1]
			lineStart = lastEnd + strings.IndexByte(text[lastEnd:], '\n') + 1
		} else {
			return "", fmt.Errorf("%s: an empty multi-line list", opening)
		}
		indent := leadingSpace(text[lineStartOf(text, open+1+spans[0][0]):])
		return text[:lineStart] + indent + `"` + entry + `",` + "\n" + text[lineStart:], nil
	}

	all := append(append(append([]string{}, entries[:at]...), entry), entries[at:]...)
	lineStart := lineStartOf(text, open)
	lineIndent := leadingSpace(text[lineStart:])
	oneLine := `["` + strings.Join(all, `", "`) + `"]`
	if style == tomlList || len(all) < 2 {
		return text[:open] + oneLine + text[closing+1:], nil
	}
	var b strings.Builder
	b.WriteString("[\n")
	for _, e := range all {
		b.WriteString(lineIndent + "    \"" + e + "\",\n")
	}
	b.WriteString(lineIndent + "]")
	return text[:open] + b.String() + text[closing+1:], nil
}

// sortKey is what entries of a list are sorted by: Bazel labels by package, then name
// (buildifier's order: "//rust:Cargo.toml" before "//rust/components/x:Cargo.toml").
func (style listStyle) sortKey(entry string) string {
	if style == bazelList {
		pkg, name, _ := strings.Cut(entry, ":")
		return pkg + "\x00" + name
	}
	return entry
}

// position is where entry goes among entries: before the first entry of group that sorts
// after it, else after the group's last entry, else at the end.
func position(entries []string, entry, group string, key func(string) string) int {
	last := -1
	for i, e := range entries {
		if !strings.HasPrefix(e, group) {
			continue
		}
		if key(e) > key(entry) {
			return i
		}
		last = i
	}
	if last >= 0 {
		return last + 1
	}
	return len(entries)
}

// insertLine inserts line into the block of consecutive lines matching member that starts at
// the first line matching member at or after from, sorted by the key member's first group
// captures. The block ends at the first line that does not match.
func insertLine(text string, from int, member *regexp.Regexp, line string) (string, error) {
	key := member.FindStringSubmatch(line)
	if key == nil {
		return "", fmt.Errorf("%q does not match %s", line, member)
	}
	lines := strings.SplitAfter(text[from:], "\n")
	offset := from
	inBlock := false
	for _, l := range lines {
		m := member.FindStringSubmatch(strings.TrimSuffix(l, "\n"))
		switch {
		case m != nil && m[1] == key[1]:
			return "", fmt.Errorf("%q is there already", strings.TrimSpace(l))
		case m != nil && m[1] > key[1]:
			return text[:offset] + line + "\n" + text[offset:], nil
		case m != nil:
			inBlock = true
		case inBlock:
			return text[:offset] + line + "\n" + text[offset:], nil
		}
		offset += len(l)
	}
	if inBlock {
		if !strings.HasSuffix(text, "\n") {
			return text + "\n" + line + "\n", nil
		}
		return text + line + "\n", nil
	}
	return "", fmt.Errorf("no line matching %s", member)
}

// indexAfter is the index of the first match of pattern at or after from, or -1.
func indexAfter(text string, from int, pattern *regexp.Regexp) int {
	loc := pattern.FindStringIndex(text[from:])
	if loc == nil {
		return -1
	}
	return from + loc[0]
}

func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}

// lineStartOf is the offset of the start of the line holding offset.
func lineStartOf(s string, offset int) int {
	return strings.LastIndexByte(s[:offset], '\n') + 1
}
