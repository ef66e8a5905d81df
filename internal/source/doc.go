// Package source checks an application source before any container work:
// that it is a Node service in credex-core's layout (package.json with the
// scripts the pipeline runs, a committed package-lock.json), that the
// requested build target is known and that the Dockerfile defines it. It also
// derives the image's OCI labels from the source and the build's revision
// and creation time.
//
// Its input is a Snapshot, which the Dagger module fills cheaply from a
// directory (entry names plus the bytes of package.json and the Dockerfile),
// so every rule lives here, in plain unit-tested Go. Every error names the
// fix.
package source
