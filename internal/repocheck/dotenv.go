package repocheck

import "strings"

// SetsModuleDefault reports whether a key of a .env found above the module
// (Dagger searches upward from where it runs) sets a default of the
// credex-ci module: Dagger matches the module's name as a prefix, in lower
// camel case or snake case, ignoring case (credexCi_, CREDEX_CI_).
func SetsModuleDefault(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "credexci_") || strings.HasPrefix(k, "credex_ci_")
}
