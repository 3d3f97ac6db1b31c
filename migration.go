package docsapi

import (
	"io/fs"
	"sort"
)

// PendingMigrations returns the names of the migrations/*.sql files in fsys
// that applied lacks, in the order they apply. Each storage engine embeds
// its own migrations and calls this with the versions its database holds.
func PendingMigrations(fsys fs.FS, applied map[string]bool) ([]string, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var pending []string
	for _, name := range names {
		if !applied[name] {
			pending = append(pending, name)
		}
	}
	return pending, nil
}
