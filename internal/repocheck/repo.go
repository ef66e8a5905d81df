package repocheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Root is the repository root: the nearest directory at or above dir that
// holds dagger.json.
func Root(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "dagger.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no dagger.json here or above: run from inside the credex-ci repository")
		}
		dir = parent
	}
}

// skipDirs are never part of the repository's own text: VCS data, local
// dependencies, build output, Terraform's working directories.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "dist": true, "dist-test": true, "coverage": true, ".terraform": true}

// Files lists the repository's files under root (paths relative to root,
// slash-separated) for which keep returns true, in lexical order.
func Files(root string, keep func(rel string) bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if keep(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the repository's files: %w", err)
	}
	return files, nil
}

// HasSuffix is a keep function for Files: names ending in one of suffixes.
func HasSuffix(suffixes ...string) func(string) bool {
	return func(rel string) bool {
		for _, s := range suffixes {
			if strings.HasSuffix(rel, s) {
				return true
			}
		}
		return false
	}
}
