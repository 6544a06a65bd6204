//! Patterns written for the Go redactionprocessor, compiled so they mean in Rust what they mean
//! in Go's `regexp`.
//!
//! Both engines take RE2 syntax and search leftmost-first, and `replace_all` skips an empty
//! match right after a match as Go's `ReplaceAllStringFunc` does. Where they differ is the
//! Perl classes and word boundaries: Go's `\d`, `\w`, `\s` and `\b` are ASCII, Rust's are
//! Unicode by default (`\d` would match `٣`, `\w` would match `é`, so a value Go leaves alone
//! would be masked, or the reverse). Each of them is rewritten to its ASCII form before
//! compiling; the rest of the pattern is kept byte for byte.

use regex::Regex;
use regex_syntax::ast::parse::Parser;
use regex_syntax::ast::{
    self, AssertionKind, Ast, ClassPerl, ClassPerlKind, ClassSetItem, Visitor,
};

/// `pattern` compiled with Go's meaning, or why it cannot be.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&translate(pattern)?).map_err(|err| compile_error(pattern, &err))
}

/// One regex that matches where any of `patterns` matches (Go's meaning), to ask "does any
/// match" in one search. An alternation, not a `RegexSet`: it searches with the literal
/// prefilters a set does not use, twice as fast on short values. Each pattern is a group of
/// its own, so flags such as `(?i)` stay within it. Validate each pattern with [`compile`]
/// first: this error names no pattern.
pub(crate) fn compile_any(patterns: &[String]) -> Result<Regex, String> {
    let mut alternation = String::new();
    for (index, pattern) in patterns.iter().enumerate() {
        if index > 0 {
            alternation.push('|');
        }
        alternation.push_str("(?:");
        alternation.push_str(&translate(pattern)?);
        alternation.push(')');
    }
    Regex::new(&alternation).map_err(|err| compile_error(&patterns.join("|"), &err))
}

/// `pattern` with Go's ASCII Perl classes and word boundaries spelled out for Rust.
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let parsed = Parser::new()
        .parse(pattern)
        .map_err(|err| format!("invalid regex {pattern:?}: {}", err.kind()))?;
    let mut rewrites = ast::visit(&parsed, AsciiClasses(Vec::new()))?;
    if rewrites.is_empty() {
        return Ok(pattern.to_owned());
    }
    rewrites.sort_by_key(|rewrite| rewrite.0);
    let mut out = String::with_capacity(pattern.len() + 16 * rewrites.len());
    let mut copied = 0;
    for (start, end, replacement) in rewrites {
        out.push_str(&pattern[copied..start]);
        out.push_str(replacement);
        copied = end;
    }
    out.push_str(&pattern[copied..]);
    Ok(out)
}

/// A compile error on one line (the regex crate's spans several, with a caret drawing).
fn compile_error(pattern: &str, err: &regex::Error) -> String {
    let reason = match err {
        regex::Error::CompiledTooBig(limit) => {
            format!("compiled size exceeds the limit of {limit} bytes")
        }
        other => other
            .to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned(),
    };
    format!("invalid regex {pattern:?}: {reason}")
}

/// Collects `(start, end, replacement)` for every Perl class and word boundary of a pattern.
struct AsciiClasses(Vec<(usize, usize, &'static str)>);

impl AsciiClasses {
    fn perl(&mut self, class: &ClassPerl, inside_brackets: bool) {
        // Go's classes (regexp/syntax perl_groups.go): \d [0-9], \s [\t\n\f\r ] (no \v),
        // \w [0-9A-Za-z_]. Inside brackets a negated one becomes a nested class, which Rust
        // unions with the rest of the set. `\x20`, not a space, so `(?x)` cannot drop it.
        let replacement = match (&class.kind, class.negated, inside_brackets) {
            (ClassPerlKind::Digit, false, false) => "[0-9]",
            (ClassPerlKind::Digit, true, _) => "[^0-9]",
            (ClassPerlKind::Digit, false, true) => "0-9",
            (ClassPerlKind::Word, false, false) => "[0-9A-Za-z_]",
            (ClassPerlKind::Word, true, _) => "[^0-9A-Za-z_]",
            (ClassPerlKind::Word, false, true) => "0-9A-Za-z_",
            (ClassPerlKind::Space, false, false) => r"[\t\n\f\r\x20]",
            (ClassPerlKind::Space, true, _) => r"[^\t\n\f\r\x20]",
            (ClassPerlKind::Space, false, true) => r"\t\n\f\r\x20",
        };
        self.0
            .push((class.span.start.offset, class.span.end.offset, replacement));
    }
}

impl Visitor for AsciiClasses {
    type Output = Vec<(usize, usize, &'static str)>;
    type Err = String;

    fn finish(self) -> Result<Self::Output, String> {
        Ok(self.0)
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), String> {
        match ast {
            Ast::ClassPerl(class) => self.perl(class, false),
            Ast::Assertion(assertion) => {
                let span = assertion.span;
                match assertion.kind {
                    AssertionKind::WordBoundary => {
                        self.0
                            .push((span.start.offset, span.end.offset, r"(?-u:\b)"));
                    }
                    AssertionKind::NotWordBoundary => {
                        self.0
                            .push((span.start.offset, span.end.offset, r"(?-u:\B)"));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), String> {
        if let ClassSetItem::Perl(class) = item {
            self.perl(class, true);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guarantees: Perl classes and word boundaries get Go's ASCII meaning, at top level and
    /// inside brackets (negated ones as nested classes); everything else is kept as written.
    #[test]
    fn perl_classes_become_ascii() {
        let cases = [
            (r"4[0-9]{12}(?:[0-9]{3})?", r"4[0-9]{12}(?:[0-9]{3})?"),
            (r"\d+", r"[0-9]+"),
            (r"\D\W\S", r"[^0-9][^0-9A-Za-z_][^\t\n\f\r\x20]"),
            (r"[\w.-]+@", r"[0-9A-Za-z_.-]+@"),
            (r"[a\D]", r"[a[^0-9]]"),
            (r"\bword\B", r"(?-u:\b)word(?-u:\B)"),
            (r"\s*\\d", r"[\t\n\f\r\x20]*\\d"),
            (r"\p{L}+", r"\p{L}+"),
        ];
        for (go, rust) in cases {
            assert_eq!(translate(go).as_deref(), Ok(rust), "{go}");
        }
    }

    /// Guarantees: matches agree with Go's regexp on the cases where Rust's Unicode defaults
    /// differ (checked against Go 1.26: `\bx` on "éx" matches, `\w+` on "éx" matches "x",
    /// `\s` does not match a vertical tab, `\d` does not match a Devanagari digit).
    #[test]
    fn matches_agree_with_go() -> Result<(), String> {
        assert_eq!(compile(r"\bx")?.replace_all("éx", "X"), "éX");
        assert_eq!(compile(r"\w+")?.replace_all("é x", "X"), "é X");
        assert!(!compile(r"\s")?.is_match("a\u{b}b"));
        assert!(!compile(r"\d")?.is_match("\u{967}"));
        assert_eq!(compile(r"a*")?.replace_all("aaab", "X"), "XbX");
        assert_eq!(compile(r".*")?.replace_all("ab\ncd", "X"), "X\nX");
        assert_eq!(compile(r".*")?.replace_all("", "X"), "X");
        Ok(())
    }

    /// Guarantees: a pattern that does not parse is refused with the pattern and the reason on
    /// one line.
    #[test]
    fn bad_patterns_are_refused() {
        assert_eq!(
            compile("(").map(|_| ()),
            Err("invalid regex \"(\": unclosed group".to_owned())
        );
        assert_eq!(
            compile("[z-a]").map(|_| ()),
            Err(
                "invalid regex \"[z-a]\": invalid character class range, the start must be <= the end"
                    .to_owned()
            )
        );
    }

    /// Guarantees: the alternation matches where any pattern does, and a pattern's flags stay
    /// within it.
    #[test]
    fn any_of_several() -> Result<(), String> {
        let any = compile_any(&["(?i)abc".to_owned(), r"^\d+$".to_owned(), "x$".to_owned()])?;
        assert!(any.is_match("xABCx") && any.is_match("123") && any.is_match("ax"));
        assert!(!any.is_match("XA") && !any.is_match("12a"));
        let case_sensitive = compile_any(&["(?i)a".to_owned(), "b".to_owned()])?;
        assert!(!case_sensitive.is_match("B"));
        Ok(())
    }
}
