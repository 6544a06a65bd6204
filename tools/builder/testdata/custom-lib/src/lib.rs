//! Nothing: the builder only needs its name.
