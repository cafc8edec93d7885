// Package archtest checks the layout of the packages: domain code imports no protocol code.
// It has no code of its own; its test parses the imports of the repository's packages.
package archtest
