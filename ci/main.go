// credex-ci: the delivery pipeline of credex-core, as one Dagger module.
package main

// CredexCi builds, tests and ships a credex-core-layout Node/TypeScript service.
type CredexCi struct{}
