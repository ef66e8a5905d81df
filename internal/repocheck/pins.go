package repocheck

import (
	"fmt"
	"regexp"
	"strings"
)

// A Pin is one place that names the Dagger version.
type Pin struct {
	// Pos is file:line.
	Pos string
	// Version is the version named, without a leading v ("0.21.8").
	Version string
	// Text is the line, trimmed, for the failure message.
	Text string
}

// version is x.y.z, not followed by more of a version (127.0.0.1 is not
// one).
const version = `v?(\d+\.\d+\.\d+)(?:[^.\d]|$)`

// daggerPinPatterns find the Dagger version wherever this repository
// states it: install commands and variables, dagger.json's engineVersion,
// the Go SDK in a go.mod, the engine image, the e2e harness's constant, and
// prose ("Dagger CLI v0.21.8", "the pinned `dagger` CLI v0.21.8").
var daggerPinPatterns = []*regexp.Regexp{
	regexp.MustCompile(`DAGGER_VERSION\s*[=:]\s*["']?` + version),
	regexp.MustCompile(`"engineVersion"\s*:\s*"` + version),
	regexp.MustCompile(`dagger\.io/dagger\s+` + version),
	regexp.MustCompile(`github\.com/dagger/dagger@` + version),
	regexp.MustCompile(`registry\.dagger\.io/engine:` + version),
	regexp.MustCompile(`\bdaggerVersion\s*=\s*"` + version),
	regexp.MustCompile("(?i)\\bdagger\\b[`*]*(?:\\s+(?:cli|engine|go sdk|sdk))?[`*]*\\s+[`*(]*" + version),
}

// workflowVersion is the `version:` input of a dagger/dagger-for-github
// step.
var workflowVersion = regexp.MustCompile(`^\s*version:\s*["']?` + version)

// DaggerPins returns every statement of the Dagger version in one file.
// In a workflow, the `version:` of a dagger/dagger-for-github step counts
// too (the lines after its `uses:`, up to the next step).
func DaggerPins(path, text string) []Pin {
	var pins []Pin
	inDaggerStep := false
	for i, line := range strings.Split(text, "\n") {
		pos := fmt.Sprintf("%s:%d", path, i+1)
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "- ") {
			inDaggerStep = false
		}
		if strings.Contains(line, "dagger/dagger-for-github@") {
			inDaggerStep = true
		}
		if inDaggerStep {
			if m := workflowVersion.FindStringSubmatch(line); m != nil {
				pins = append(pins, Pin{Pos: pos, Version: m[1], Text: trimmed})
				continue
			}
		}
		seen := map[int]bool{}
		for _, p := range daggerPinPatterns {
			for _, m := range p.FindAllStringSubmatchIndex(line, -1) {
				start := m[2]
				if seen[start] {
					continue
				}
				seen[start] = true
				pins = append(pins, Pin{Pos: pos, Version: line[m[2]:m[3]], Text: trimmed})
			}
		}
	}
	return pins
}
