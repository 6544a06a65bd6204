//! The SDK's error type.

/// Everything that can go wrong between the collector and a Rust component.
///
/// Messages are lower-case and say what was wrong; the Go side adds the component id and the
/// config path, so a variant never repeats them.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The configuration could not be decoded (wrong type, unknown key, bad syntax).
    #[error("{path}: {message}")]
    ConfigDecode {
        /// Dotted path of the offending key, or `.` for the whole section.
        path: String,
        /// What serde reported.
        message: String,
    },
    /// The configuration decoded but `validate()` rejected it.
    #[error("{0}")]
    InvalidConfig(String),
    /// No factory is registered for this extension type.
    #[error("unknown extension type {0:?}")]
    UnknownType(String),
    /// Two factories claim the same extension type.
    #[error("extension type {kind:?} is registered more than once: by {first} and by {second}")]
    DuplicateType {
        /// The type.
        kind: String,
        /// The factory registered first (its Rust path, which starts with its crate).
        first: &'static str,
        /// The other one.
        second: &'static str,
    },
    /// A factory declares a type that is not lower_snake_case.
    #[error("extension type {0:?} is not lower_snake_case")]
    BadTypeName(String),
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
    /// A validation failure with the given message, for [`crate::Config::validate`].
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::InvalidConfig(message.into())
    }

    /// A start or shutdown failure with the given message.
    pub fn lifecycle(message: impl Into<String>) -> Self {
        Self::Lifecycle(message.into())
    }
}
