//go:build race

package reliability

// raceEnabled: the race detector's shadow memory makes RSS figures meaningless.
const raceEnabled = true
