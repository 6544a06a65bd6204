package rustreceiver

import (
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/receiver"
)

// The collector creates a receiver once per signal it is in a pipeline of, each time with the
// same config object; one Rust instance must serve them all (one port, one file reader). As
// otlpreceiver does (its internal sharedcomponent), the Go receivers are shared per config
// object: one per component id in a collector, and a new one for a new collector or a reload
// (each loads its config anew).
var receivers = struct {
	mu       sync.Mutex
	byConfig map[*Config]*rustReceiver
}{byConfig: map[*Config]*rustReceiver{}}

// shared answers the Go receiver of cfg, created on first use, after record gave it the
// create call's next consumer.
func shared(set receiver.Settings, cfg component.Config, transport string, record func(*rustReceiver) error) (*rustReceiver, error) {
	config, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("rust receiver %q: unexpected config type %T", set.ID, cfg)
	}
	receivers.mu.Lock()
	defer receivers.mu.Unlock()
	r := receivers.byConfig[config]
	if r == nil {
		var err error
		if r, err = newReceiver(set, config, transport); err != nil {
			return nil, err
		}
		r.forget = func() {
			receivers.mu.Lock()
			defer receivers.mu.Unlock()
			if receivers.byConfig[config] == r {
				delete(receivers.byConfig, config)
			}
		}
		receivers.byConfig[config] = r
	}
	if err := record(r); err != nil {
		return nil, err
	}
	return r, nil
}

// statusFanout is the host the shared Rust instance starts with: it reports the instance's
// statuses for every (id, signal) the collector started the receiver as (each Start gets a
// host reporting for its own pipeline), and replays the last few to a host added late, as
// the collector's sharedcomponent does.
type statusFanout struct {
	mu     sync.Mutex
	hosts  []component.Host
	recent []*componentstatus.Event
}

// replayed is how many recent events a host added late is told.
const replayed = 5

var (
	_ component.Host           = (*statusFanout)(nil)
	_ componentstatus.Reporter = (*statusFanout)(nil)
)

func (f *statusFanout) add(host component.Host) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range f.recent {
		componentstatus.ReportStatus(host, ev)
	}
	f.hosts = append(f.hosts, host)
}

// GetExtensions answers the collector's extensions (every host given is the same collector's).
func (f *statusFanout) GetExtensions() map[component.ID]component.Component {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hosts) == 0 {
		return nil
	}
	return f.hosts[0].GetExtensions()
}

// Report reports ev to every host.
func (f *statusFanout) Report(ev *componentstatus.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recent = append(f.recent, ev); len(f.recent) > replayed {
		f.recent = f.recent[1:]
	}
	for _, host := range f.hosts {
		componentstatus.ReportStatus(host, ev)
	}
}
