//go:build !otelcolrust_norust

package main

import (
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

// rustFactories returns the Rust extensions.
func rustFactories() ([]extension.Factory, error) { return rustextension.NewFactories() }

// rustFatalError is the first fatal error a Rust extension reported.
func rustFatalError() error { return rustextension.FatalError() }
