package rustextension

import "github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"

// RustComponentConfig is the config of every Rust extension: one document, the user's keys
// merged over the extension type's defaults as written (a value from a config provider keeps
// both its parsed value and its text), plus the extension type that owns it. Rust is the only
// judge of what is valid; it decodes this same document for Validate, Values, Marshal and the
// instance's Start, so they cannot disagree. Its methods: Unmarshal, Marshal, Validate (Rust's
// verdict, one "path: message" error per problem), Values (the config as Rust normalized
// it) and Set (replace one top-level value).
type RustComponentConfig = rustcomponent.Config
