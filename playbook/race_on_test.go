//go:build race

package playbook

// raceEnabled is true under the race detector, which makes the property
// test's thousands of commands some twenty times slower: it runs fewer.
const raceEnabled = true
