package rustextension

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension"
)

// status GETs the rust_sample endpoint and decodes its JSON.
func status(endpoint string) (map[string]any, error) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + endpoint + "/")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	return body, json.NewDecoder(resp.Body).Decode(&body)
}

// requirePortFree fails unless endpoint can be bound again.
func requirePortFree(t *testing.T, endpoint string) {
	t.Helper()
	listener, err := net.Listen("tcp", endpoint)
	if err != nil {
		t.Fatalf("port of %s still taken: %v", endpoint, err)
	}
	listener.Close()
}

func sampleFactory(t *testing.T) extension.Factory {
	t.Helper()
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	for _, factory := range factories {
		if factory.Type().String() == "rust_sample" {
			return factory
		}
	}
	t.Fatal("rust_sample is not registered")
	return nil
}
