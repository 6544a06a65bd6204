// Package rustextension turns every extension registered in the Rust library into a collector
// extension.Factory. It has no per-component code: types, defaults, validation and behaviour
// all come from Rust through package rustffi.
//
// Lifecycle: config is validated by Rust at config load (user keys merged over the defaults);
// Create builds only the Go wrapper; Start creates and starts the Rust instance; Shutdown
// stops it.
package rustextension
