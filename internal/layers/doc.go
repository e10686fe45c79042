// Package layers holds no code: its test enforces the dependency direction
// described in docs/architecture.md (cmd -> workflows -> {encode, vmaf,
// archer, mezzfs} -> media), so that a core never grows an import of another core,
// of Temporal, or of the CLI libraries.
package layers
