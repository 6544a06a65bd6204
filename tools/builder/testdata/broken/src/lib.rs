//! Does not compile on purpose: the builder must name this crate when cargo fails.
pub fn broken() -> u32 {
    "not a number"
}
