//go:build !otelcolrust_norust

package main

import (
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

// rustExtensions returns the Rust extensions.
func rustExtensions() ([]extension.Factory, error) { return rustextension.NewFactories() }

// rustExporters returns the Rust exporters.
func rustExporters() ([]exporter.Factory, error) { return rustexporter.NewFactories() }

// rustFatalError is the first fatal error a Rust extension reported.
func rustFatalError() error { return rustextension.FatalError() }
