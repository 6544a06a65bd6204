//go:build cgo

package rustffi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DrainLogs takes up to max records out of the Rust log buffer, oldest first. It never waits:
// an empty buffer answers an empty batch.
func DrainLogs(max int) (LogBatch, error) {
	var batch LogBatch
	return batch, decodeExact(RustExtensionsImpl{}.drain_logs(&DrainRequest{max_records: uint64(max)}), &batch)
}

// SetLogLevel sets the most verbose level Rust forwards records at: "debug", "info", "warn",
// "error" or "off". Records below it cost Rust next to nothing.
func SetLogLevel(level string) error {
	reply := RustExtensionsImpl{}.set_log_level(&LevelRequest{level: level})
	if !reply.ok {
		return errors.New(reply.error)
	}
	return nil
}

// ReadMetrics answers the cumulative value of every series of the instance behind h; none
// for an unknown handle.
func ReadMetrics(h Handle) ([]Series, error) {
	var series []Series
	return series, decodeExact(RustExtensionsImpl{}.read_metrics(&MetricsRequest{handle: uint64(h)}), &series)
}

// LibraryMetrics answers the Rust library's own cumulative counters.
func LibraryMetrics() (LibraryCounts, error) {
	var counts LibraryCounts
	return counts, decodeExact(RustExtensionsImpl{}.library_metrics(), &counts)
}

// decodeExact decodes a reply keeping numbers in untyped places (field and attribute values)
// as json.Number, so a u64 counter or an i64 field is not rounded through float64.
func decodeExact(reply Reply, out any) error {
	if !reply.ok {
		return callError(reply.error, reply.json)
	}
	decoder := json.NewDecoder(strings.NewReader(reply.json))
	decoder.UseNumber()
	if err := decoder.Decode(out); err != nil {
		return fmt.Errorf("malformed reply from Rust: %w", err)
	}
	return nil
}
