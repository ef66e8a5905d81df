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

// ContextExclusions are the paths of a source that never reach a build
// context (Dagger's glob patterns, as in +ignore and Directory.Filter):
// version control, dependencies installed on the host, local build output
// (dist/, credex-core's build/ at the root: the Dockerfile compiles the
// service), coverage, Terraform's working files, and .env files, which hold
// secrets. The module's constructor filters --source with them, however
// the directory arrived (an explicit --source, the default path, or a
// SOURCE= line of the .env beside dagger.json); its +ignore pragma, which
// keeps them from being uploaded at all, must list the same
// (internal/repocheck checks it).
var ContextExclusions = []string{".git", "**/node_modules", "**/dist", "build", "**/dist-test", "**/coverage", "**/.terraform", "**/.env", "**/.env.*"}
