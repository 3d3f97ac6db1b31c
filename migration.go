package docsapi

import (
	"io/fs"
	"slices"
)

// Migrations returns the names of the migrations/*.sql files in fsys, in
// the order they apply. Each storage engine embeds its own.
func Migrations(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}
