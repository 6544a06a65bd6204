package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Guarantees: each cargo module must register a component of the kind of every section it is
// listed in, else the list step names the module (section[i], file:line:column, crate) and
// says what it registers instead; every such problem is reported at once. The distribution
// takes a type when a module registering it (by its own crate, or else by a crate it brings
// in) is listed under the type's kind, notes the ones it leaves out, and keeps a type no
// module can be found to register. Processors and receivers are kinds like the others: listed
// under processors: and receivers:, checked and reported the same way; a crate registering a
// receiver and an exporter of one type (rust_otlphttp) is listed under both to have both.
func TestSelectTypesChecksKinds(t *testing.T) {
	module := func(pkg string, listings ...Listing) CargoModule {
		return CargoModule{Where: listings[0].Where, Pos: listings[0].Pos, Listings: listings, Package: pkg, Key: pkg}
	}
	listing := func(section string) func(i, line int) Listing {
		return func(i, line int) Listing {
			return Listing{Section: section, Where: fmt.Sprintf("%s[%d]", section, i), Pos: fmt.Sprintf("m.yaml:%d:5", line)}
		}
	}
	extensions, receivers, processors, exporters := listing("extensions"), listing("receivers"), listing("processors"), listing("exporters")
	sample := rustType{Kind: "extension", Type: "rust_sample", Factory: "rust_sample::SampleFactory"}
	otlphttp := rustType{Kind: "exporter", Type: "rust_otlphttp", Factory: "rust_otlphttp::OtlpHttpFactory", Signals: []string{"traces"}}
	filter := rustType{Kind: "processor", Type: "rust_filter", Factory: "rust_filter::FilterFactory", Signals: []string{"traces", "metrics", "logs"}}
	redaction := rustType{Kind: "processor", Type: "rust_redaction", Factory: "rust_redaction::RedactionFactory", Signals: []string{"traces", "metrics", "logs"}}
	otlpReceiver := rustType{Kind: "receiver", Type: "rust_otlphttp", Factory: "rust_otlphttp::OtlpHttpReceiverFactory", Signals: []string{"traces", "metrics", "logs"}}
	both := []rustType{
		{Kind: "exporter", Type: "acme", Factory: "acme::ExporterFactory", Signals: []string{"logs"}},
		{Kind: "extension", Type: "acme", Factory: "acme::ExtensionFactory"},
	}
	for _, tc := range []struct {
		name     string
		modules  []CargoModule
		crates   []moduleCrates
		types    []rustType
		selected []string // kind/type
		notes    []string
		err      []string // the errors, in order; nil for none
	}{
		{
			name:     "an extension and an exporter, each under its section",
			modules:  []CargoModule{module("rust-sample", extensions(0, 3)), module("rust-otlphttp", exporters(0, 5))},
			crates:   []moduleCrates{{"rust_sample", []string{"rust_sample", "serde"}}, {"rust_otlphttp", []string{"rust_otlphttp", "hyper"}}},
			types:    []rustType{otlphttp, sample},
			selected: []string{"exporter/rust_otlphttp", "extension/rust_sample"},
		},
		{
			name:    "an extension crate under exporters, a crate registering nothing under extensions",
			modules: []CargoModule{module("rust-sample", exporters(0, 3)), module("empty", extensions(0, 5))},
			crates:  []moduleCrates{{"rust_sample", []string{"rust_sample"}}, {"empty", []string{"empty"}}},
			types:   []rustType{sample},
			err: []string{
				"exporters[0] (m.yaml:3:5, crate rust-sample) registers no exporter: its crate registers only the extension rust_sample; list it under extensions:",
				"extensions[0] (m.yaml:5:5, crate empty) registers no extension: its crate registers no component (an otelcol-rust extension registers its factory with otelcol_rust_sdk::register_extension!)",
			},
		},
		{
			name: "processors under processors:, beside an extension and an exporter",
			modules: []CargoModule{
				module("rust-sample", extensions(0, 3)),
				module("rust-redaction", processors(1, 6)),
				module("rust-filter", processors(2, 7)),
				module("rust-otlphttp", exporters(0, 9)),
			},
			crates: []moduleCrates{
				{"rust_sample", []string{"rust_sample"}},
				{"rust_redaction", []string{"rust_redaction", "regex"}},
				{"rust_filter", []string{"rust_filter", "regex"}},
				{"rust_otlphttp", []string{"rust_otlphttp"}},
			},
			types:    []rustType{otlphttp, sample, filter, redaction},
			selected: []string{"exporter/rust_otlphttp", "extension/rust_sample", "processor/rust_filter", "processor/rust_redaction"},
		},
		{
			name: "a processor crate under exporters, an exporter crate and a crate registering nothing under processors",
			modules: []CargoModule{
				module("rust-filter", exporters(0, 3)),
				module("rust-otlphttp", processors(0, 5)),
				module("empty", processors(1, 6)),
			},
			crates: []moduleCrates{{"rust_filter", []string{"rust_filter"}}, {"rust_otlphttp", []string{"rust_otlphttp"}}, {"empty", []string{"empty"}}},
			types:  []rustType{otlphttp, filter},
			err: []string{
				"exporters[0] (m.yaml:3:5, crate rust-filter) registers no exporter: its crate registers only the processor rust_filter; list it under processors:",
				"processors[0] (m.yaml:5:5, crate rust-otlphttp) registers no processor: its crate registers only the exporter rust_otlphttp; list it under exporters:",
				"processors[1] (m.yaml:6:5, crate empty) registers no processor: its crate registers no component (an otelcol-rust processor registers its factory with otelcol_rust_sdk::register_processor!)",
			},
		},
		{
			name: "a receiver and an exporter of one crate under receivers: and exporters:, beside processors",
			modules: []CargoModule{
				module("rust-otlphttp", receivers(0, 3), exporters(0, 9)),
				module("rust-filter", processors(0, 6)),
			},
			crates:   []moduleCrates{{"rust_otlphttp", []string{"rust_otlphttp", "hyper"}}, {"rust_filter", []string{"rust_filter"}}},
			types:    []rustType{otlphttp, filter, otlpReceiver},
			selected: []string{"exporter/rust_otlphttp", "processor/rust_filter", "receiver/rust_otlphttp"},
		},
		{
			name:     "a crate of a receiver and an exporter under exporters only: its receiver is left out",
			modules:  []CargoModule{module("rust-otlphttp", exporters(0, 5))},
			crates:   []moduleCrates{{"rust_otlphttp", []string{"rust_otlphttp"}}},
			types:    []rustType{otlphttp, otlpReceiver},
			selected: []string{"exporter/rust_otlphttp"},
			notes:    []string{"exporters[0] (m.yaml:5:5, crate rust-otlphttp) registers the receiver rust_otlphttp, which the distribution leaves out: list the crate under receivers: as well to have it"},
		},
		{
			name: "a receiver crate under extensions, a processor crate and a crate registering nothing under receivers",
			modules: []CargoModule{
				module("rust-otlphttp", extensions(0, 3)),
				module("rust-filter", receivers(0, 5)),
				module("empty", receivers(1, 6)),
			},
			crates: []moduleCrates{{"rust_otlphttp", []string{"rust_otlphttp"}}, {"rust_filter", []string{"rust_filter"}}, {"empty", []string{"empty"}}},
			types:  []rustType{otlphttp, filter, otlpReceiver},
			err: []string{
				"extensions[0] (m.yaml:3:5, crate rust-otlphttp) registers no extension: its crate registers only the exporter rust_otlphttp, the receiver rust_otlphttp; list it under exporters: or receivers:",
				"receivers[0] (m.yaml:5:5, crate rust-filter) registers no receiver: its crate registers only the processor rust_filter; list it under processors:",
				"receivers[1] (m.yaml:6:5, crate empty) registers no receiver: its crate registers no component (an otelcol-rust receiver registers its factory with otelcol_rust_sdk::register_receiver!)",
			},
		},
		{
			name:     "a crate of both kinds under both sections",
			modules:  []CargoModule{module("acme", extensions(0, 3), exporters(0, 5))},
			crates:   []moduleCrates{{"acme", []string{"acme"}}},
			types:    both,
			selected: []string{"exporter/acme", "extension/acme"},
		},
		{
			name:     "a crate of both kinds under exporters only: its extension is left out",
			modules:  []CargoModule{module("acme", exporters(0, 5))},
			crates:   []moduleCrates{{"acme", []string{"acme"}}},
			types:    both,
			selected: []string{"exporter/acme"},
			notes:    []string{"exporters[0] (m.yaml:5:5, crate acme) registers the extension acme, which the distribution leaves out: list the crate under extensions: as well to have it"},
		},
		{
			name: "factories of a helper crate count for the modules that bring it in, not for a module whose own crate is another",
			modules: []CargoModule{
				module("acme-exporters", exporters(0, 3)),
				module("rust-sample", extensions(0, 5)),
			},
			crates: []moduleCrates{
				{"acme_exporters", []string{"acme_exporters", "acme_core"}},
				{"rust_sample", []string{"rust_sample", "acme_core"}},
			},
			types: []rustType{
				{Kind: "exporter", Type: "acme", Factory: "acme_core::Factory", Signals: []string{"logs"}},
				{Kind: "extension", Type: "acme_ext", Factory: "rust_sample::Factory"},
			},
			selected: []string{"exporter/acme", "extension/acme_ext"},
		},
		{
			name:     "a crate of a processor and an exporter under exporters only: its processor is left out",
			modules:  []CargoModule{module("acme", exporters(0, 5))},
			crates:   []moduleCrates{{"acme", []string{"acme"}}},
			types:    []rustType{both[0], {Kind: "processor", Type: "acme", Factory: "acme::ProcessorFactory", Signals: []string{"logs"}}},
			selected: []string{"exporter/acme"},
			notes:    []string{"exporters[0] (m.yaml:5:5, crate acme) registers the processor acme, which the distribution leaves out: list the crate under processors: as well to have it"},
		},
		{
			name:     "a type no module registers is kept",
			modules:  []CargoModule{module("rust-sample", extensions(0, 3))},
			crates:   []moduleCrates{{"rust_sample", []string{"rust_sample"}}},
			types:    []rustType{{Kind: "exporter", Type: "stray", Factory: "elsewhere::Factory", Signals: []string{"logs"}}, sample},
			selected: []string{"exporter/stray", "extension/rust_sample"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Manifest{Cargo: tc.modules}
			selected, notes, err := selectTypes(m, tc.crates, tc.types)
			if tc.err != nil {
				if err == nil || err.Error() != strings.Join(tc.err, "\n") {
					t.Fatalf("error\n got: %v\nwant: %s", err, strings.Join(tc.err, "\n"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, typ := range selected {
				names = append(names, typ.Kind+"/"+typ.Type)
			}
			if !slices.Equal(names, tc.selected) || !slices.Equal(notes, tc.notes) {
				t.Errorf("selected %v with notes %q, want %v with %q", names, notes, tc.selected, tc.notes)
			}
		})
	}
}
