package source

import "strings"

// Snapshot is what the checks need to know about an application source.
type Snapshot struct {
	// Name is how the user named the source in messages, e.g. "--source".
	Name string
	// Entries are the names of the source's top-level files and directories
	// (a trailing "/" on directories is allowed).
	Entries []string
	// PackageJSON is the content of package.json, nil when there is none.
	PackageJSON []byte
	// Dockerfile is the content of the source's own Dockerfile, nil when it
	// has none (the reference Dockerfile is used then).
	Dockerfile []byte
}

// Has reports whether the source has a top-level entry with this name.
func (s Snapshot) Has(name string) bool {
	for _, e := range s.Entries {
		if strings.TrimSuffix(e, "/") == name {
			return true
		}
	}
	return false
}

func (s Snapshot) name() string {
	if s.Name == "" {
		return "the source directory"
	}
	return s.Name
}
