package source

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"
)

// OCI image annotation keys the pipeline sets as labels.
const (
	LabelRevision = "org.opencontainers.image.revision"
	LabelCreated  = "org.opencontainers.image.created"
	LabelSource   = "org.opencontainers.image.source"
	LabelVersion  = "org.opencontainers.image.version"
	LabelTitle    = "org.opencontainers.image.title"
)

// Errors for image metadata.
var (
	ErrInvalidRevision = errors.New("invalid revision")
	ErrInvalidCreated  = errors.New("invalid created time")
)

var gitSHA = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// ValidateRevision checks that revision is a full git commit SHA (40 hex
// digits, or 64 in a SHA-256 repository), lower-case as git prints it: the
// deployment's health check compares it with what /health reports.
func ValidateRevision(revision string) error {
	if gitSHA.MatchString(revision) {
		return nil
	}
	return fmt.Errorf("%w %q: pass the full commit SHA, e.g. --revision=$(git rev-parse HEAD)", ErrInvalidRevision, revision)
}

// ParseCreated parses an RFC 3339 timestamp and returns it in UTC.
func ParseCreated(created string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, created)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w %q: pass an RFC 3339 time, e.g. --created=$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)", ErrInvalidCreated, created)
	}
	return t.UTC(), nil
}

// Metadata describes an image build. Empty fields are omitted from labels.
type Metadata struct {
	Revision string // git commit SHA
	Created  string // RFC 3339 build time
	Source   string // repository URL
	Version  string // the service's version (package.json)
	Title    string // the service's name (package.json)
	// Main and OutDir are the compiled entry point and its output
	// directory (Package.Entrypoint), for the reference Dockerfile; empty
	// when the service does not say.
	Main   string
	OutDir string
}

// NewMetadata combines a build's revision and creation time with the
// service's package.json, validating both (either may be empty).
func NewMetadata(pkg *Package, revision, created string) (Metadata, error) {
	m := Metadata{Revision: revision}
	if pkg != nil {
		m.Source, m.Version, m.Title = pkg.Repository, pkg.Version, pkg.Name
		m.Main, m.OutDir, _ = pkg.Entrypoint()
	}
	var problems []error
	if revision != "" {
		problems = append(problems, ValidateRevision(revision))
	}
	if created != "" {
		t, err := ParseCreated(created)
		problems = append(problems, err)
		m.Created = t.Format(time.RFC3339)
	}
	if err := errors.Join(problems...); err != nil {
		return Metadata{}, err
	}
	return m, nil
}

// Label is one image label.
type Label struct {
	Key   string
	Value string
}

// Labels returns the OCI labels for the metadata that is set, sorted by key
// so that builds are reproducible.
func (m Metadata) Labels() []Label {
	all := map[string]string{
		LabelRevision: m.Revision,
		LabelCreated:  m.Created,
		LabelSource:   m.Source,
		LabelVersion:  m.Version,
		LabelTitle:    m.Title,
	}
	var labels []Label
	for k, v := range all {
		if v != "" {
			labels = append(labels, Label{Key: k, Value: v})
		}
	}
	sort.Slice(labels, func(i, j int) bool { return labels[i].Key < labels[j].Key })
	return labels
}

// Build argument names the reference Dockerfile declares. They are the only
// build arguments the pipeline ever passes: build arguments are recorded in
// the image history, so secrets never travel this way.
const (
	ArgNodeImage = "NODE_IMAGE"
	ArgRevision  = "REVISION"
	ArgBuiltAt   = "BUILT_AT"
	ArgOutDir    = "OUT_DIR"
	ArgMain      = "MAIN"
)

// BuildArg is one Dockerfile build argument.
type BuildArg struct {
	Name  string
	Value string
}

// BuildArgs returns the build arguments of an image build: the Node base
// image, the output directory and entry point when the service names them,
// and the revision and build time when they are set (the production stage
// turns them into APP_REVISION and APP_BUILT_AT for GET /health).
func (m Metadata) BuildArgs(nodeImage string) []BuildArg {
	args := []BuildArg{{ArgNodeImage, nodeImage}}
	if m.Main != "" {
		args = append(args, BuildArg{ArgOutDir, m.OutDir}, BuildArg{ArgMain, m.Main})
	}
	if m.Revision != "" {
		args = append(args, BuildArg{ArgRevision, m.Revision})
	}
	if m.Created != "" {
		args = append(args, BuildArg{ArgBuiltAt, m.Created})
	}
	return args
}
