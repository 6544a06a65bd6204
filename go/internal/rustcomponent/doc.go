// Package rustcomponent is the Go code every Rust component instance needs, whatever its kind:
// the config document Rust judges (Config), and the instance's lifecycle (Instance): create
// and start in the instance's telemetry scope, the watcher that hands its status reports and
// fatal errors to the collector, and shutdown. Package rustextension and package rustexporter
// wrap it in the collector's extension and exporter interfaces.
package rustcomponent
