//go:build !otelcolrust_norust

package main

import (
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
	"github.com/otelcol-rust/otelcol-rust/go/rustprocessor"
	"github.com/otelcol-rust/otelcol-rust/go/rustreceiver"
)

// rustExtensions returns the Rust extensions.
func rustExtensions() ([]extension.Factory, error) { return rustextension.NewFactories() }

// rustExporters returns the Rust exporters.
func rustExporters() ([]exporter.Factory, error) { return rustexporter.NewFactories() }

// rustProcessors returns the Rust processors.
func rustProcessors() ([]processor.Factory, error) { return rustprocessor.NewFactories() }

// rustReceivers returns the Rust receivers.
func rustReceivers() ([]receiver.Factory, error) { return rustreceiver.NewFactories() }

// rustFatalError is the first fatal error a Rust extension reported.
func rustFatalError() error { return rustextension.FatalError() }
