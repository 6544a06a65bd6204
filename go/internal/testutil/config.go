package testutil

import "strings"

// Pipeline is the traces pipeline of a test config: its top-level sections and ids.
type Pipeline struct {
	Sections                      string // receivers:, processors: and exporters: YAML
	Receiver, Processor, Exporter string // ids; Processor may be empty
}

// NopPipeline runs nop -> nop (the receivertest and exportertest factories).
var NopPipeline = Pipeline{
	Sections: "receivers:\n  nop:\nexporters:\n  nop:\n",
	Receiver: "nop",
	Exporter: "nop",
}

// OTLPPipeline runs otlp (HTTP on endpoint) -> debug, as the sample collector can.
func OTLPPipeline(endpoint string) Pipeline {
	return Pipeline{
		Sections: "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: " + endpoint +
			"\nexporters:\n  debug:\n",
		Receiver: "otlp",
		Exporter: "debug",
	}
}

// WithBatch puts the batch processor in the pipeline.
func (p Pipeline) WithBatch() Pipeline {
	p.Sections += "processors:\n  batch:\n"
	p.Processor = "batch"
	return p
}

// Config describes a collector config for tests. Internal metrics are off unless Telemetry
// says otherwise, so the collector opens no port of its own.
type Config struct {
	Extensions string   // the YAML body under "extensions:" (indented by two); may be empty
	Enabled    []string // extension ids for service.extensions
	Pipeline   Pipeline
	QuietLogs  bool // log errors only (benchmarks)
	// Telemetry, when set, is the YAML body under "service.telemetry:" (indented by four),
	// in place of the default (metrics off).
	Telemetry string
}

// YAML renders the config.
func (c Config) YAML() string {
	var out strings.Builder
	if c.Extensions != "" {
		out.WriteString("extensions:\n" + c.Extensions)
		if !strings.HasSuffix(c.Extensions, "\n") {
			out.WriteString("\n")
		}
	}
	out.WriteString(c.Pipeline.Sections)
	out.WriteString("service:\n")
	if len(c.Enabled) > 0 {
		out.WriteString("  extensions: [" + strings.Join(c.Enabled, ", ") + "]\n")
	}
	switch {
	case c.Telemetry != "":
		out.WriteString("  telemetry:\n" + c.Telemetry)
		if !strings.HasSuffix(c.Telemetry, "\n") {
			out.WriteString("\n")
		}
	default:
		out.WriteString("  telemetry:\n    metrics:\n      level: none\n")
	}
	if c.QuietLogs && c.Telemetry == "" {
		out.WriteString("    logs:\n      level: error\n")
	}
	out.WriteString("  pipelines:\n    traces:\n      receivers: [" + c.Pipeline.Receiver + "]\n")
	if c.Pipeline.Processor != "" {
		out.WriteString("      processors: [" + c.Pipeline.Processor + "]\n")
	}
	out.WriteString("      exporters: [" + c.Pipeline.Exporter + "]\n")
	return out.String()
}
