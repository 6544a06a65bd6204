package main

import (
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/zpagesextension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// components lists the collector's factories: the standard Go ones and every Rust extension,
// receiver, processor and exporter the linked Rust library registers.
func components() (otelcol.Factories, error) {
	rustExtensions, err := rustExtensions()
	if err != nil {
		return otelcol.Factories{}, err
	}
	rustExporters, err := rustExporters()
	if err != nil {
		return otelcol.Factories{}, err
	}
	rustProcessors, err := rustProcessors()
	if err != nil {
		return otelcol.Factories{}, err
	}
	rustReceivers, err := rustReceivers()
	if err != nil {
		return otelcol.Factories{}, err
	}
	extensions, err := otelcol.MakeFactoryMap[extension.Factory](append(rustExtensions, zpagesextension.NewFactory())...)
	if err != nil {
		return otelcol.Factories{}, err
	}
	receivers, err := otelcol.MakeFactoryMap[receiver.Factory](append(rustReceivers, otlpreceiver.NewFactory())...)
	if err != nil {
		return otelcol.Factories{}, err
	}
	processors, err := otelcol.MakeFactoryMap[processor.Factory](append(rustProcessors, batchprocessor.NewFactory())...)
	if err != nil {
		return otelcol.Factories{}, err
	}
	exporters, err := otelcol.MakeFactoryMap[exporter.Factory](append(rustExporters, debugexporter.NewFactory(), otlpexporter.NewFactory())...)
	if err != nil {
		return otelcol.Factories{}, err
	}
	return otelcol.Factories{
		Extensions: extensions,
		Receivers:  receivers,
		Processors: processors,
		Exporters:  exporters,
		Telemetry:  otelconftelemetry.NewFactory(),
	}, nil
}
