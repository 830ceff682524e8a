//go:build !race

package playbook

// raceEnabled: see race_on_test.go.
const raceEnabled = false
