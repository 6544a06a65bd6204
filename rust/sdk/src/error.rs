//! The SDK's error type.

use std::fmt;

/// Everything that can go wrong between the collector and a Rust component.
///
/// Messages are lower-case and say what was wrong; the Go side adds the component id and the
/// config path, so a variant never repeats them.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The configuration could not be decoded (wrong type, unknown key, bad syntax).
    #[error("{0}")]
    ConfigDecode(ConfigProblem),
    /// The configuration decoded but `validate()` rejected it, for one or more reasons.
    #[error("{}", Joined(.0))]
    InvalidConfig(Vec<ConfigProblem>),
    /// No factory of this kind is registered for this type.
    #[error("unknown {kind} type {component_type:?}")]
    UnknownType {
        /// The component kind: `extension`, `exporter`, `processor` or `receiver`.
        kind: &'static str,
        /// The type asked for.
        component_type: String,
    },
    /// Two factories of one kind claim the same type (one type may be both an extension and
    /// an exporter).
    #[error(
        "{kind} type {component_type:?} is registered more than once: by {first} and by {second}"
    )]
    DuplicateType {
        /// The component kind: `extension`, `exporter`, `processor` or `receiver`.
        kind: &'static str,
        /// The type.
        component_type: String,
        /// The factory registered first (its Rust path, which starts with its crate).
        first: &'static str,
        /// The other one.
        second: &'static str,
    },
    /// A factory declares a type that is not lower_snake_case.
    #[error("{kind} type {component_type:?} is not lower_snake_case")]
    BadTypeName {
        /// The component kind: `extension`, `exporter`, `processor` or `receiver`.
        kind: &'static str,
        /// The type.
        component_type: String,
    },
    /// An exporter, processor or receiver factory declares no signal, so it could be in no pipeline.
    #[error("{kind} type {component_type:?} ({factory}) declares no signals")]
    NoSignals {
        /// The component kind: `exporter`, `processor` or `receiver`.
        kind: &'static str,
        /// The type.
        component_type: String,
        /// The factory's Rust path.
        factory: &'static str,
    },
    /// A batch's bytes are not the OTLP export request of its signal
    /// ([`Batch::decode_traces`](crate::Batch::decode_traces) and the others).
    #[error("malformed {signal} batch: {reason}")]
    MalformedBatch {
        /// The batch's signal.
        signal: crate::Signal,
        /// What the protobuf decoder reported.
        reason: String,
    },
    /// An instance's id is of another type than its factory's (a test host set up for the
    /// wrong type: the collector never does that).
    #[error("component id {id:?} is not of the factory's type {factory_type:?}")]
    TypeMismatch {
        /// The instance's id, as `type` or `type/name`.
        id: String,
        /// The factory's [`ExtensionFactory::TYPE`](crate::ExtensionFactory::TYPE).
        factory_type: &'static str,
    },
    /// The context was cancelled before the call began.
    #[error("context cancelled")]
    Cancelled,
    /// The context's deadline passed before the call finished.
    #[error("deadline exceeded after {0:?}")]
    DeadlineExceeded(std::time::Duration),
    /// Start or shutdown of a component failed.
    #[error("{0}")]
    Lifecycle(String),
}

impl Error {
    /// A validation failure of the config as a whole, for [`crate::Config::validate`]. Prefer
    /// [`Error::invalid_field`] when one key is at fault, so the user is shown where.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::InvalidConfig(vec![ConfigProblem::new("", message)])
    }

    /// A validation failure of one key, for [`crate::Config::validate`]. `path` names the key
    /// as the collector writes it: `timeout_ms`, `tls::cert_file`, `targets[2]`. To report
    /// several problems at once, use [`ConfigProblems`].
    pub fn invalid_field(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidConfig(vec![ConfigProblem::new(path, message)])
    }

    /// A start or shutdown failure with the given message.
    pub fn lifecycle(message: impl Into<String>) -> Self {
        Self::Lifecycle(message.into())
    }

    /// The config problems this error stands for: one for a decode error, every one
    /// `validate()` found for an invalid config, none for any other error. The host sends
    /// them to Go, which reports each with its key path.
    pub fn config_problems(&self) -> &[ConfigProblem] {
        match self {
            Self::ConfigDecode(problem) => std::slice::from_ref(problem),
            Self::InvalidConfig(problems) => problems,
            _ => &[],
        }
    }
}

/// One thing wrong with a configuration: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigProblem {
    /// The key path as the collector writes it (`timeout_ms`, `tls::cert_file`, `targets[2]`);
    /// empty when the problem is the config as a whole.
    pub path: String,
    /// What is wrong, lower-case, without the path.
    pub message: String,
}

impl ConfigProblem {
    /// A problem at `path` (empty for the whole config).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    /// `path: message`, or just the message for the config as a whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Collects every problem `validate()` finds, so the user sees them all at once:
///
/// ```
/// # use otelcol_rust_sdk::{ConfigProblems, Error};
/// # struct Tls { cert_file: String }
/// # impl Tls { fn validate(&self) -> Result<(), Error> { Ok(()) } }
/// # struct MyConfig { timeout_ms: u64, targets: Vec<String>, tls: Tls }
/// # impl MyConfig {
/// fn validate(&self) -> Result<(), Error> {
///     let mut problems = ConfigProblems::new();
///     if self.timeout_ms == 0 {
///         problems.add("timeout_ms", "must be greater than 0");
///     }
///     for (i, target) in self.targets.iter().enumerate() {
///         if target.is_empty() {
///             problems.add(format!("targets[{i}]"), "cannot be empty");
///         }
///     }
///     // A nested config's own validate(): its paths are reported under `tls::`.
///     problems.add_nested("tls", self.tls.validate());
///     problems.into_result()
/// }
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use = "the problems are only reported by `into_result`"]
pub struct ConfigProblems(Vec<ConfigProblem>);

impl ConfigProblems {
    /// No problems yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem at `path` (empty for the config as a whole).
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Self {
        self.0.push(ConfigProblem::new(path, message));
        self
    }

    /// Records what a nested config's check returned, with each problem's path under `path`
    /// (`tls` and `cert_file` give `tls::cert_file`). Any other error is recorded at `path`.
    pub fn add_nested(&mut self, path: &str, checked: Result<(), Error>) -> &mut Self {
        if let Err(err) = checked {
            let problems = err.config_problems();
            if problems.is_empty() {
                self.add(path, err.to_string());
            }
            for problem in problems {
                self.add(join_path(path, &problem.path), problem.message.clone());
            }
        }
        self
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` if nothing was recorded, else [`Error::InvalidConfig`] with every problem in
    /// the order they were added.
    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidConfig(self.0))
        }
    }
}

/// Joins two key paths as the collector writes them: `tls` + `cert_file` is `tls::cert_file`,
/// `targets` + `[2]` is `targets[2]`; an empty side leaves the other unchanged.
pub(crate) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else if child.is_empty() {
        parent.to_owned()
    } else if child.starts_with('[') {
        format!("{parent}{child}")
    } else {
        format!("{parent}::{child}")
    }
}

/// Problems separated by `; ` (Go receives them as a list; this is for Rust-side messages).
struct Joined<'a>(&'a [ConfigProblem]);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((first, rest)) = self.0.split_first() else {
            return f.write_str("invalid configuration");
        };
        write!(f, "{first}")?;
        for problem in rest {
            write!(f, "; {problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guarantees: every problem is kept, in order, with its path, and shows as `path: message`.
    #[test]
    fn problems_are_collected_in_order() {
        let mut problems = ConfigProblems::new();
        assert!(problems.is_empty());
        problems
            .add("timeout_ms", "must be greater than 0")
            .add("", "needs at least one target");
        let err = problems.into_result().expect_err("two problems");
        assert_eq!(
            err.config_problems(),
            [
                ConfigProblem::new("timeout_ms", "must be greater than 0"),
                ConfigProblem::new("", "needs at least one target"),
            ]
        );
        assert_eq!(
            err.to_string(),
            "timeout_ms: must be greater than 0; needs at least one target"
        );
        assert_eq!(ConfigProblems::new().into_result(), Ok(()));
    }

    /// Guarantees: a nested config's problems are reported under its key, in the collector's
    /// path syntax; a non-config error is reported at the key itself.
    #[test]
    fn nested_problems_get_the_parent_path() {
        let mut problems = ConfigProblems::new();
        problems
            .add_nested("tls", Err(Error::invalid_field("cert_file", "must be set")))
            .add_nested(
                "targets",
                Err(Error::invalid_field("[2]", "cannot be empty")),
            )
            .add_nested("proxy", Err(Error::invalid_config("is unreachable")))
            .add_nested("auth", Err(Error::lifecycle("no such file")))
            .add_nested("fine", Ok(()));
        let err = problems.into_result().expect_err("problems");
        let shown: Vec<String> = err
            .config_problems()
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "tls::cert_file: must be set",
                "targets[2]: cannot be empty",
                "proxy: is unreachable",
                "auth: no such file",
            ]
        );
    }

    /// Guarantees: only config errors carry problems (the host sends those to Go as a list).
    #[test]
    fn only_config_errors_have_problems() {
        assert_eq!(
            Error::invalid_config("bad").config_problems(),
            [ConfigProblem::new("", "bad")]
        );
        assert_eq!(
            Error::ConfigDecode(ConfigProblem::new("a::b", "unknown configuration key"))
                .to_string(),
            "a::b: unknown configuration key"
        );
        assert!(Error::Cancelled.config_problems().is_empty());
        assert_eq!(
            Error::InvalidConfig(Vec::new()).to_string(),
            "invalid configuration"
        );
    }
}
