//go:build !otelcolrust_norust

package main

import (
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
	"github.com/otelcol-rust/otelcol-rust/go/rustprocessor"
)

// rustExtensions returns the Rust extensions.
func rustExtensions() ([]extension.Factory, error) { return rustextension.NewFactories() }

// rustExporters returns the Rust exporters.
func rustExporters() ([]exporter.Factory, error) { return rustexporter.NewFactories() }

// rustProcessors returns the Rust processors.
func rustProcessors() ([]processor.Factory, error) { return rustprocessor.NewFactories() }

// rustFatalError is the first fatal error a Rust extension reported.
func rustFatalError() error { return rustextension.FatalError() }
