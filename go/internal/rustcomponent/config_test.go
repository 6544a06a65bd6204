package rustcomponent

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/confmap/xconfmap"
)

// Guarantees: the merge mirrors the collector's: maps merge key by key (a provider-substituted
// map too, so its defaults stay), a null map entry is dropped at any depth (the default
// stays), a list replaces the default whole and keeps its nulls, and nothing the merge returns
// shares a map or list with its inputs.
func TestMergeOverDefaults(t *testing.T) {
	defaults := map[string]any{
		"tls":     map[string]any{"cert_file": "a.pem", "insecure": false},
		"proxy":   map[string]any{"url": "http://p", "retries": int64(3)},
		"targets": []any{"x"},
		"name":    "n",
	}
	user := map[string]any{
		"tls":     map[string]any{"cert_file": nil, "insecure": true, "extra": map[string]any{"k": nil, "v": 1}},
		"proxy":   xconfmap.ExpandedValue{Value: map[string]any{"retries": 5}, Original: "retries: 5"},
		"targets": []any{nil, map[string]any{"k": nil}},
		"name":    nil,
		"port":    xconfmap.ExpandedValue{Value: 8080, Original: "8080"},
	}
	got := mergeOver(defaults, user)
	want := map[string]any{
		"tls":     map[string]any{"cert_file": "a.pem", "insecure": true, "extra": map[string]any{"v": 1}},
		"proxy":   map[string]any{"url": "http://p", "retries": 5},
		"targets": []any{nil, map[string]any{"k": nil}},
		"name":    "n",
		"port":    copyValue(xconfmap.ExpandedValue{Value: 8080, Original: "8080"}),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merged %#v\nwant %#v", got, want)
	}
	got["tls"].(map[string]any)["insecure"] = "changed"
	got["targets"].([]any)[0] = "changed"
	if defaults["tls"].(map[string]any)["insecure"] != false || user["targets"].([]any)[0] != nil {
		t.Fatal("the merge shares maps or lists with its inputs")
	}
}
