//go:build otelcolrust_testcomponents

package rustexporter

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/testdata"
)

// Scenario: a rust_chaos traces exporter with a persistent sending_queue (storage: an
// in-memory storage extension of this test, which outlives the exporters as a file would)
// answers retryable to everything; five batches (1+2+3+4+5 spans) wait in the queue or in
// retries when it is shut down. A new exporter with the same id and storage, whose Rust
// instance answers ok, is started.
// Guarantees: the queue asks the storage for the client (Exporter, rust_chaos, traces); the
// shut-down exporter leaves every batch in the storage; the new one exports each batch
// exactly once (Rust decodes 15 spans in 5 batches) and the storage ends with none.
func TestPersistentQueueSurvivesARestart(t *testing.T) {
	storageID := component.MustNewID("memory_storage")
	store := newMemoryStorage()
	host := storageHost{storageID: store}
	section := func(outcome string) map[string]any {
		return map[string]any{
			"outcomes": []any{outcome},
			"decode":   true,
			// Two consumers: some batches are in retries at shutdown, the others still queued.
			"sending_queue":    map[string]any{"storage": storageID.String(), "num_consumers": 2},
			"retry_on_failure": map[string]any{"initial_interval": "5ms", "max_interval": "5ms", "randomization_factor": 0.0},
		}
	}

	first := newChaos(t, section("retryable"))
	exp, shutdown := first.tracesOn(t, host)
	for spans := 1; spans <= 5; spans++ {
		if err := exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(spans)); err != nil {
			t.Fatal(err)
		}
	}
	// Both consumers have had their batch refused and are retrying it.
	eventually(t, "retries", func() bool { return first.sum(t, "rust_chaos_batches") >= 4 })
	if err := shutdown(); err != nil {
		t.Fatal(err)
	}
	if got := first.sum(t, "otelcol_exporter_sent_spans"); got != 0 {
		t.Fatalf("the exporter answering retryable sent %d spans", got)
	}
	if got := store.items(); got != 5 {
		t.Fatalf("%d batches in the storage after shutdown, want 5", got)
	}
	if clients := store.names(); !slices.Equal(clients, []string{"Exporter rust_chaos traces"}) {
		t.Fatalf("storage clients %q, want the exporter's traces queue", clients)
	}

	second := newChaos(t, section("ok"))
	second.tracesOn(t, host)
	// A batch leaves the storage once its export is done: then nothing is left to send again.
	eventually(t, "the storage emptied", func() bool { return store.items() == 0 })
	for name, want := range map[string]int64{
		"rust_chaos_batches":                 5,
		"rust_chaos_decoded_items":           15,
		"otelcol_exporter_sent_spans":        15,
		"otelcol_exporter_send_failed_spans": 0,
	} {
		if got := second.sum(t, name); got != want {
			t.Errorf("after the restart: %s = %d, want %d", name, got, want)
		}
	}
}

// tracesOn creates the traces exporter and starts it on host. It answers the exporter and its
// shutdown, which also runs when the test ends, once: exporterhelper's Shutdown may be called
// only once (v0.164.0's retry sender closes a channel in it).
func (c *chaos) tracesOn(t *testing.T, host component.Host) (exporter.Traces, func() error) {
	t.Helper()
	exp, err := NewFactory("rust_chaos").CreateTraces(context.Background(), c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	shutdown := sync.OnceValue(func() error { return exp.Shutdown(context.Background()) })
	if err := exp.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := shutdown(); err != nil {
			t.Error(err)
		}
	})
	return exp, shutdown
}

// storageHost is a host whose only extensions are the given ones: where exporterhelper's
// persistent queue looks its storage extension up.
type storageHost map[component.ID]component.Component

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h }

// memoryStorage is a storage extension keeping each client's keys in memory. Its data
// outlives clients and exporters, as a file storage's does across restarts.
type memoryStorage struct {
	component.StartFunc
	component.ShutdownFunc

	mu      sync.Mutex
	clients map[string]map[string][]byte // by "kind id name"
}

var _ storage.Extension = (*memoryStorage)(nil)

func newMemoryStorage() *memoryStorage {
	return &memoryStorage{clients: map[string]map[string][]byte{}}
}

func (s *memoryStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	key := fmt.Sprintf("%s %s %s", kind, id, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[key] == nil {
		s.clients[key] = map[string][]byte{}
	}
	return &memoryClient{storage: s, data: s.clients[key]}, nil
}

// names answers the clients asked for, sorted.
func (s *memoryStorage) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.clients))
}

// items counts the queued batches of every client: the persistent queue stores each under
// its index (a number), its metadata under other keys.
func (s *memoryStorage) items() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, data := range s.clients {
		for key := range data {
			if _, err := strconv.ParseUint(key, 10, 64); err == nil {
				n++
			}
		}
	}
	return n
}

type memoryClient struct {
	storage *memoryStorage
	data    map[string][]byte // guarded by storage.mu
}

func (c *memoryClient) Get(ctx context.Context, key string) ([]byte, error) {
	op := storage.GetOperation(key)
	err := c.Batch(ctx, op)
	return op.Value, err
}

func (c *memoryClient) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c *memoryClient) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

// Batch copies values in and out: the caller may reuse its buffers, as with a file.
func (c *memoryClient) Batch(_ context.Context, ops ...*storage.Operation) error {
	c.storage.mu.Lock()
	defer c.storage.mu.Unlock()
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value = slices.Clone(c.data[op.Key])
		case storage.Set:
			c.data[op.Key] = slices.Clone(op.Value)
		case storage.Delete:
			delete(c.data, op.Key)
		default:
			return fmt.Errorf("unknown storage operation %d", op.Type)
		}
	}
	return nil
}

// Close keeps the data: it belongs to the storage, not the client.
func (c *memoryClient) Close(context.Context) error { return nil }
