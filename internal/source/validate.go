package source

import (
	"errors"
	"fmt"
)

// Validate checks that a source is a Node service the pipeline can build and
// test, and returns its package.json. A missing package.json stops at once;
// otherwise every problem found is reported together (errors.Join), each
// wrapping one of the Err* values and naming its fix.
func Validate(s Snapshot) (*Package, error) {
	if s.PackageJSON == nil {
		return nil, fmt.Errorf("%w in %s: pass the directory of a Node service, the one holding its package.json, e.g. --source=examples/ledger-api",
			ErrNoPackageJSON, s.name())
	}
	pkg, err := ParsePackage(s.name(), s.PackageJSON)
	if err != nil {
		return nil, err
	}
	var problems []error
	for _, script := range RequiredScripts {
		if !pkg.HasScript(script.Name) {
			problems = append(problems, fmt.Errorf("%w: package.json in %s has no %q script: add one to %s, e.g. %s",
				ErrMissingScript, s.name(), script.Name, script.Purpose, script.Example))
		}
	}
	if !s.Has("package-lock.json") {
		problems = append(problems, fmt.Errorf("%w in %s: npm ci needs it to install exactly the locked dependencies; run npm install and commit package-lock.json",
			ErrNoLockfile, s.name()))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return pkg, nil
}

// CheckBuild runs every check a build of target needs: the package (Validate),
// the target (ValidateTarget) and that the Dockerfile used defines it: the
// source's own when it has one, else reference (skipped when nil). Problems
// are reported together.
func CheckBuild(s Snapshot, target string, reference []byte) (*Package, error) {
	if err := ValidateTarget(target); err != nil {
		_, perr := Validate(s)
		return nil, errors.Join(err, perr)
	}
	pkg, err := Validate(s)
	dockerfile, own := reference, false
	if s.Dockerfile != nil {
		dockerfile, own = s.Dockerfile, true
	}
	var stageErr, entryErr error
	if dockerfile != nil {
		stageErr = CheckStage(dockerfile, own, target)
	}
	if pkg != nil && !own && target == TargetProduction {
		_, _, entryErr = pkg.Entrypoint()
	}
	if err := errors.Join(err, stageErr, entryErr); err != nil {
		return nil, err
	}
	return pkg, nil
}
