//go:build cgo

package rustffi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// ComponentTypes lists the component types registered in the Rust library, sorted by kind,
// then type. It refuses the library if a type was compiled against an SDK this Go module
// cannot run (SDKVersion, docs/versioning.md): every use of the library starts with this list.
func ComponentTypes() ([]ComponentType, error) {
	var types []ComponentType
	if err := decode(RustExtensionsImpl{}.component_types(), &types); err != nil {
		return nil, err
	}
	if err := checkSDKVersions(types, SDKVersion); err != nil {
		return nil, err
	}
	return types, nil
}

// ExtensionTypes is ComponentTypes' extensions (SDK versions of every kind are checked).
func ExtensionTypes() ([]ComponentType, error) {
	types, err := ComponentTypes()
	if err != nil {
		return nil, err
	}
	extensions := types[:0:0]
	for _, typ := range types {
		if typ.Kind == KindExtension {
			extensions = append(extensions, typ)
		}
	}
	return extensions, nil
}

// DefaultConfig returns the default config of componentType in kind. Numbers are int64,
// uint64 (above the int64 range) or float64, as the collector's YAML parser types them.
func DefaultConfig(kind Kind, componentType string) (map[string]any, error) {
	req, err := makeConfigRequest(kind, componentType, map[string]any{})
	if err != nil {
		return nil, err
	}
	return decodeConfig(RustExtensionsImpl{}.default_config(&req))
}

// ValidateConfig validates config of componentType in kind in Rust and returns it normalized
// (every key present; a string field given an Expanded value holds its text). Numbers are
// typed as by DefaultConfig. An invalid config gives one ConfigProblem per problem, joined.
func ValidateConfig(kind Kind, componentType string, config map[string]any) (map[string]any, error) {
	req, err := makeConfigRequest(kind, componentType, config)
	if err != nil {
		return nil, err
	}
	return decodeConfig(RustExtensionsImpl{}.validate_config(&req))
}

// Dependencies returns the ids of the extensions an instance of the extension type
// extensionType with config depends on (only extensions have dependencies).
func Dependencies(extensionType string, config map[string]any) ([]string, error) {
	req, err := makeConfigRequest(KindExtension, extensionType, config)
	if err != nil {
		return nil, err
	}
	var ids []string
	return ids, decode(RustExtensionsImpl{}.dependencies(&req), &ids)
}

// CreateAndStart creates the Rust instance of kind for id (of id.Type in kind) and starts it,
// returning at ctx's deadline or cancellation at the latest (Rust then stops the start and
// cleans up). Rust validates config again first. The instance's create, start and tasks run
// in the telemetry scope scope (0: none). It answers the instruments the instance declared.
// On error no instance exists.
func CreateAndStart(ctx context.Context, kind Kind, id ComponentID, scope uint64, config map[string]any, host HostInfo) (Handle, []Instrument, error) {
	type started struct {
		handle      Handle
		instruments []Instrument
	}
	s, err := cancellable(ctx, func(token uint64) (started, error) {
		call := newCallContext(ctx, id, token)
		call.Scope = scope
		req, err := makeStartRequest(kind, call, config, host)
		if err != nil {
			return started{}, err
		}
		reply := RustExtensionsImpl{}.create_and_start(&req)
		if !reply.ok {
			return started{}, errors.New(reply.error)
		}
		var instruments []Instrument
		if reply.json != "" {
			if err := json.Unmarshal([]byte(reply.json), &instruments); err != nil {
				// The instance runs: Go cannot export its metrics, but must not lose it.
				return started{handle: Handle(reply.handle)}, fmt.Errorf("malformed instruments from Rust: %w", err)
			}
		}
		return started{Handle(reply.handle), instruments}, nil
	})
	if err != nil && s.handle != 0 {
		// Only the instrument list was unreadable: the instance exists, and the caller owns it.
		return s.handle, nil, err
	}
	return s.handle, s.instruments, err
}

// Shutdown shuts the instance behind h down, returning at ctx's deadline or cancellation at
// the latest (Rust then aborts what is left of the instance). The shutdown runs in the
// telemetry scope scope (0: none). The handle is invalid afterwards, also when an error is
// returned. late lists the fatal errors the instance reported that WaitEvent did not hand out
// (queued since the last poll, or reported while it shut down), whatever the outcome.
func Shutdown(ctx context.Context, id ComponentID, scope uint64, h Handle) (late []string, err error) {
	return cancellable(ctx, func(token uint64) ([]string, error) {
		call := newCallContext(ctx, id, token)
		call.Scope = scope
		contextJSON, err := encode(call)
		if err != nil {
			return nil, err
		}
		req := ShutdownRequest{handle: uint64(h), context_json: contextJSON}
		reply := RustExtensionsImpl{}.shutdown(&req)
		if reply.json != "" {
			if err := json.Unmarshal([]byte(reply.json), &late); err != nil {
				return nil, fmt.Errorf("malformed reply from Rust: %w", err)
			}
		}
		if !reply.ok {
			return late, errors.New(reply.error)
		}
		return late, nil
	})
}

// nextCallToken numbers cancellable calls; 0 means "not cancellable" to Rust.
var nextCallToken atomic.Uint64

// cancellable runs call with a fresh token for its context and, should ctx end while the call
// runs, has Rust cancel it. Rust accepts the cancel before, during or after the call; one that
// came after is released here, so no token outlives its call.
func cancellable[T any](ctx context.Context, call func(token uint64) (T, error)) (T, error) {
	token := nextCallToken.Add(1)
	sent := make(chan bool, 1)
	stop := context.AfterFunc(ctx, func() {
		// Rust enforces the deadline itself (it answers "deadline exceeded"); only a
		// cancellation needs telling.
		cancelled := !errors.Is(ctx.Err(), context.DeadlineExceeded)
		if cancelled {
			RustExtensionsImpl{}.cancel_call(&CallRequest{token: token})
		}
		sent <- cancelled
	})
	value, err := call(token)
	if !stop() && <-sent {
		// Only a cancel Rust was sent leaves the token registered there.
		RustExtensionsImpl{}.release_call(&CallRequest{token: token})
	}
	return value, err
}

// WaitEvent waits up to timeout for the next event of the instance behind h. Once the
// instance is shut down (or h is unknown) it answers Kind "closed" at once.
func WaitEvent(h Handle, timeout time.Duration) (Event, error) {
	req := EventRequest{handle: uint64(h), timeout_ms: uint64(max(timeout.Milliseconds(), 0))}
	var event Event
	return event, decode(RustExtensionsImpl{}.wait_event(&req), &event)
}

// LiveInstances counts started Rust instances not yet shut down.
func LiveInstances() (uint64, error) {
	reply := RustExtensionsImpl{}.live_instances()
	if !reply.ok {
		return 0, errors.New(reply.error)
	}
	return reply.handle, nil
}

func makeStartRequest(kind Kind, call callContext, config map[string]any, host HostInfo) (StartRequest, error) {
	cfgReq, err := makeConfigRequest(kind, call.ID.Type, config)
	if err != nil {
		return StartRequest{}, err
	}
	contextJSON, err := encode(call)
	if err != nil {
		return StartRequest{}, err
	}
	if host.Extensions == nil {
		host.Extensions = []string{}
	}
	hostJSON, err := encode(host)
	return StartRequest{
		kind:           cfgReq.kind,
		component_type: cfgReq.component_type,
		config_json:    cfgReq.config_json,
		context_json:   contextJSON,
		host_json:      hostJSON,
	}, err
}

func makeConfigRequest(kind Kind, componentType string, config map[string]any) (ConfigRequest, error) {
	if componentType == "" {
		return ConfigRequest{}, fmt.Errorf("%s type is empty", kind)
	}
	if config == nil {
		config = map[string]any{}
	}
	if err := checkReserved(config, ""); err != nil {
		return ConfigRequest{}, err
	}
	configJSON, err := encode(config)
	return ConfigRequest{kind: string(kind), component_type: componentType, config_json: configJSON}, err
}

func encode(value any) (string, error) {
	data, err := json.Marshal(value)
	if err != nil {
		return "", fmt.Errorf("cannot encode for Rust: %w", err)
	}
	return string(data), nil
}

func decode(reply Reply, out any) error {
	if !reply.ok {
		return callError(reply.error, reply.json)
	}
	if err := json.Unmarshal([]byte(reply.json), out); err != nil {
		return fmt.Errorf("malformed reply from Rust: %w", err)
	}
	return nil
}

// decodeConfig decodes a config Rust answered, with exact numbers (see exactNumbers).
func decodeConfig(reply Reply) (map[string]any, error) {
	if !reply.ok {
		return nil, callError(reply.error, reply.json)
	}
	decoder := json.NewDecoder(strings.NewReader(reply.json))
	decoder.UseNumber()
	var config map[string]any
	if err := decoder.Decode(&config); err != nil {
		return nil, fmt.Errorf("malformed reply from Rust: %w", err)
	}
	if _, err := exactNumbers(config); err != nil {
		return nil, fmt.Errorf("malformed reply from Rust: %w", err)
	}
	return config, nil
}
