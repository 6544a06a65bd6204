package rustcomponent

import (
	"fmt"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Registered is one Rust component type as a collector factory is built from it.
type Registered struct {
	rustffi.ComponentType
	// CollectorType and Stability are the registration's type and level, as the collector
	// names them.
	CollectorType component.Type
	Stability     component.StabilityLevel
	// Defaults is the type's default config, as Rust answers it.
	Defaults map[string]any
}

// Register reads what a factory needs of a registered type: a type name and a stability level
// the collector accepts (a level Go does not know is an error naming it, not "Undefined"), and
// the default config.
func Register(registered rustffi.ComponentType) (Registered, error) {
	kind, name := registered.Kind, registered.Type
	typ, err := component.NewType(name)
	if err != nil {
		return Registered{}, fmt.Errorf("rust %s type %q: %w", kind, name, err)
	}
	var stability component.StabilityLevel
	if err := stability.UnmarshalText([]byte(registered.Stability)); err != nil {
		return Registered{}, fmt.Errorf("rust %s %q: %w", kind, name, err)
	}
	defaults, err := rustffi.DefaultConfig(kind, name)
	if err != nil {
		return Registered{}, fmt.Errorf("rust %s %q: default config: %w", kind, name, err)
	}
	return Registered{ComponentType: registered, CollectorType: typ, Stability: stability, Defaults: defaults}, nil
}

// Factories builds, with build, one collector factory per type of kind in the linked Rust
// library.
func Factories[F any](kind Kind, build func(rustffi.ComponentType) (F, error)) ([]F, error) {
	types, err := typesOf(kind)
	if err != nil {
		return nil, err
	}
	factories := make([]F, 0, len(types))
	for _, registered := range types {
		factory, err := build(registered)
		if err != nil {
			return nil, err
		}
		factories = append(factories, factory)
	}
	return factories, nil
}

// Factory builds, with build, the factory of one type of kind, for distributions built by
// tools/builder, whose generated Go package per Rust type calls it (the builder's manifest
// format, like ocb's, wants one NewFactory per component).
//
// It panics if componentType is not registered as that kind in the linked Rust library, or
// its factory cannot be built: the builder lists the archive's types before generating those
// packages, so that is a build error, and a collector must not start with a component missing.
func Factory[F any](kind Kind, componentType string, build func(rustffi.ComponentType) (F, error)) F {
	factory, err := findFactory(kind, componentType, build)
	if err != nil {
		panic(fmt.Sprintf("otelcol-rust: %v", err))
	}
	return factory
}

func findFactory[F any](kind Kind, componentType string, build func(rustffi.ComponentType) (F, error)) (F, error) {
	types, err := typesOf(kind)
	if err != nil {
		var none F
		return none, err
	}
	for _, registered := range types {
		if registered.Type == componentType {
			return build(registered)
		}
	}
	var none F
	return none, fmt.Errorf("unknown %s type %q: the linked Rust library does not register it (is the distribution built from a stale Rust archive?)", kind, componentType)
}

// typesOf lists the registered types of kind (every listing checks the SDK versions).
func typesOf(kind Kind) ([]rustffi.ComponentType, error) {
	all, err := rustffi.ComponentTypes()
	if err != nil {
		return nil, fmt.Errorf("cannot list Rust %ss: %w", kind, err)
	}
	types := make([]rustffi.ComponentType, 0, len(all))
	for _, registered := range all {
		if registered.Kind == kind {
			types = append(types, registered)
		}
	}
	return types, nil
}
