//! The stability level a factory declares, as the collector grades its components.

use serde::Serialize;

/// How mature a component is, on the collector's scale (component.StabilityLevel in Go; see
/// <https://github.com/open-telemetry/opentelemetry-collector/blob/main/docs/component-stability.md>).
/// The collector shows it in `components` and logs its meaning when the component is used.
///
/// Serialized as the collector names the level (`"Development"`, `"Alpha"`, ...); that name is
/// what crosses to Go. There is no "undefined" level: every Rust factory declares one, and
/// [`ExtensionFactory::STABILITY`](crate::ExtensionFactory::STABILITY) defaults to
/// [`Stability::Development`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stability {
    /// Not ready for use; may change or go away without notice.
    Development,
    /// Usable for limited, non-critical workloads; the configuration may still change.
    Alpha,
    /// Used in production by some; breaking changes are announced.
    Beta,
    /// Production ready; breaking changes follow the collector's deprecation policy.
    Stable,
    /// To be removed; use what its documentation names instead.
    Deprecated,
    /// Without an active maintainer; becomes deprecated if none is found.
    Unmaintained,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guarantees: each level crosses to Go under the name Go's `StabilityLevel.UnmarshalText`
    /// reads (and `components` prints), so no level turns into another or into "Undefined".
    #[test]
    fn levels_serialize_as_the_collector_names_them() {
        let names = [
            (Stability::Development, "Development"),
            (Stability::Alpha, "Alpha"),
            (Stability::Beta, "Beta"),
            (Stability::Stable, "Stable"),
            (Stability::Deprecated, "Deprecated"),
            (Stability::Unmaintained, "Unmaintained"),
        ];
        for (level, name) in names {
            assert_eq!(
                serde_json::to_value(level).expect("serializes"),
                serde_json::Value::String(name.to_owned())
            );
        }
    }
}
