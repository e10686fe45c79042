// Package generated holds no code: its test checks that every generated
// file in the repository is up to date. A generated file is one with the
// line "// Code generated ... DO NOT EDIT." (the Go convention); each is
// written by a //go:generate line of the form
//
//	//go:generate go run NAME_gen.go -o FILE
//
// in its package, and `make generate` (go generate ./...) runs them all.
// The test runs each generator to standard output and compares what it
// writes with the committed FILE, so a generator or a table it reads that
// changed without a `make generate` fails `go test`.
package generated
