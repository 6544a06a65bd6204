package rustreceiver

import "github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"

// Config is the config of every Rust receiver: only the Rust receiver's own keys (a receiver
// has no standard settings), one document merged over the type's Rust defaults and judged by
// Rust at config load, under the component's path (see rustextension's RustComponentConfig,
// which is the same document).
type Config = rustcomponent.Config
