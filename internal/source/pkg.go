package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"
)

// Errors that Validate wraps, for callers that branch on the kind of problem.
var (
	ErrNoPackageJSON      = errors.New("no package.json")
	ErrInvalidPackageJSON = errors.New("invalid package.json")
	ErrMissingScript      = errors.New("missing npm script")
	ErrNoLockfile         = errors.New("no package-lock.json")
)

// Script is an npm script the pipeline runs, and what it must do.
type Script struct {
	Name    string
	Purpose string
	Example string
}

// RequiredScripts are the scripts every service must define: the Dockerfile
// runs build, the test stage runs test, the production image runs start.
var RequiredScripts = []Script{
	{Name: "build", Purpose: "compile the service (into dist/, build/ or another output directory)", Example: `"build": "tsc"`},
	{Name: "test", Purpose: "run the unit tests and exit non-zero when one fails", Example: `"test": "node --test dist-test/test/unit/*.test.js"`},
	{Name: "start", Purpose: "start the compiled service on PORT (the reference Dockerfile's production image runs the file it names with node)", Example: `"start": "node dist/server.js"`},
}

// Package is the part of package.json the pipeline reads.
type Package struct {
	Name    string
	Version string
	// Repository is the repository URL normalised to https (empty when
	// package.json has none).
	Repository string
	Scripts    map[string]string
	// Main is package.json's "main", the package's entry point.
	Main string
}

// HasScript reports whether package.json defines a non-empty script name.
func (p *Package) HasScript(name string) bool {
	return strings.TrimSpace(p.Scripts[name]) != ""
}

type packageJSON struct {
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	Scripts    map[string]string `json:"scripts"`
	Repository json.RawMessage   `json:"repository"`
	Main       string            `json:"main"`
}

// ParsePackage parses package.json; name says where it comes from in errors.
func ParsePackage(name string, data []byte) (*Package, error) {
	var raw packageJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: package.json in %s %s; fix it (npm pkg get name shows what npm reads)",
			ErrInvalidPackageJSON, name, describeJSONError(data, err))
	}
	repo, err := repositoryURL(raw.Repository)
	if err != nil {
		return nil, fmt.Errorf("%w: package.json in %s: %v", ErrInvalidPackageJSON, name, err)
	}
	return &Package{Name: raw.Name, Version: raw.Version, Repository: repo, Scripts: raw.Scripts, Main: raw.Main}, nil
}

// describeJSONError says what is wrong, in JSON's words rather than Go's,
// with the line and column of a syntax or type error.
func describeJSONError(data []byte, err error) string {
	var offset int64 = -1
	what := "is not valid JSON: " + err.Error()
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
		switch {
		case typ.Field == "":
			what = fmt.Sprintf("is a JSON %s, not an object", typ.Value)
		case typ.Type.Kind() == reflect.Map:
			what = fmt.Sprintf(`has a JSON %s as %q, which must be an object of "name": "command" pairs`, typ.Value, typ.Field)
		case strings.HasPrefix(typ.Field, "scripts"):
			what = fmt.Sprintf(`has a JSON %s as a script in "scripts": every script must be a command string`, typ.Value)
		default:
			what = fmt.Sprintf("has a JSON %s as %q, which must be a string", typ.Value, typ.Field)
		}
	}
	if offset < 0 || offset > int64(len(data)) {
		return what
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	if col > 1 {
		col-- // the decoder reports the offset after the offending byte
	}
	return fmt.Sprintf("%s (line %d, column %d)", what, line, col)
}

// repositoryURL reads package.json's repository, either "url" or
// {"type": "git", "url": "..."}, and returns it as an https URL.
func repositoryURL(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var url string
	if err := json.Unmarshal(raw, &url); err != nil {
		var obj struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", errors.New(`"repository" must be a URL or {"type": "git", "url": "..."}`)
		}
		url = obj.URL
	}
	return normaliseRepositoryURL(url), nil
}

// normaliseRepositoryURL turns npm's repository forms into a browsable URL:
// git+https://host/o/r.git, git://host/o/r, git@host:o/r.git and the
// "github:o/r" / "o/r" shorthands.
func normaliseRepositoryURL(url string) string {
	url = strings.TrimSpace(url)
	if url == "" {
		return ""
	}
	url = strings.TrimPrefix(url, "git+")
	switch {
	case strings.HasPrefix(url, "git://"):
		url = "https://" + strings.TrimPrefix(url, "git://")
	case strings.HasPrefix(url, "ssh://git@"):
		url = "https://" + strings.TrimPrefix(url, "ssh://git@")
	case strings.HasPrefix(url, "git@"):
		url = "https://" + strings.Replace(strings.TrimPrefix(url, "git@"), ":", "/", 1)
	case strings.HasPrefix(url, "github:"):
		url = "https://github.com/" + strings.TrimPrefix(url, "github:")
	case !strings.Contains(url, ":") && strings.Count(url, "/") == 1:
		url = "https://github.com/" + url
	}
	return strings.TrimSuffix(url, ".git")
}

// ErrNoEntrypoint is wrapped by Entrypoint.
var ErrNoEntrypoint = errors.New("no compiled entry point")

// Entrypoint returns the compiled file the production image runs with node,
// and the output directory holding it: from the start script
// ("node build/src/index.js" gives build/src/index.js in build), or else
// from package.json's "main". credex-ci's reference Dockerfile copies that
// directory into the production image and runs that file, so a service
// compiling to build/ works as well as one compiling to dist/.
func (p *Package) Entrypoint() (main, outDir string, err error) {
	fields := strings.Fields(p.Scripts["start"])
	if len(fields) >= 2 && fields[0] == "node" {
		for _, f := range fields[1:] {
			if !strings.HasPrefix(f, "-") {
				main = f
				break
			}
		}
	}
	if main == "" {
		main = p.Main
	}
	main = path.Clean(strings.TrimPrefix(main, "./"))
	if main == "." || main == "" {
		return "", "", fmt.Errorf(`%w: package.json's "start" script is not "node <file>" and it has no "main": credex-ci's reference Dockerfile runs the compiled entry point with node; write e.g. "start": "node dist/server.js"`, ErrNoEntrypoint)
	}
	outDir, _, nested := strings.Cut(main, "/")
	if !nested || outDir == ".." || path.IsAbs(main) {
		return "", "", fmt.Errorf(`%w: the entry point %s is not inside an output directory of the service: compile into one (e.g. tsc's outDir "dist") and start it from there, e.g. "start": "node dist/server.js"`, ErrNoEntrypoint, main)
	}
	return main, outDir, nil
}
