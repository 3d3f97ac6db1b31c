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

// PendingMigrations returns the Migrations of fsys that applied lacks, in
// the order they apply; an engine calls it with the versions its database
// holds.
func PendingMigrations(fsys fs.FS, applied map[string]bool) ([]string, error) {
	names, err := Migrations(fsys)
	if err != nil {
		return nil, err
	}
	var pending []string
	for _, name := range names {
		if !applied[name] {
			pending = append(pending, name)
		}
	}
	return pending, nil
}
