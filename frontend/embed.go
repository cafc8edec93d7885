// Package frontend embeds the built web map (frontend/dist, made by `vite build` through
// scripts/build-frontend.sh). Before the first build dist holds only .keep, and the server
// answers / with a page saying the map has not been built.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built assets rooted at dist/: index.html, assets/…, glyphs/….
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // only if the embed pattern above changes
		panic(err)
	}
	return sub
}
