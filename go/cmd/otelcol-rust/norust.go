//go:build otelcolrust_norust

package main

import (
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
)

// Built with -tags otelcolrust_norust: the same collector without the Rust library, only to
// measure what linking Rust costs (go/benchmarks).

func rustExtensions() ([]extension.Factory, error) { return nil, nil }

func rustExporters() ([]exporter.Factory, error) { return nil, nil }

func rustProcessors() ([]processor.Factory, error) { return nil, nil }

func rustReceivers() ([]receiver.Factory, error) { return nil, nil }

func rustFatalError() error { return nil }
