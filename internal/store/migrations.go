package store

// migrations returns the schema steps in order: step i (0-based) brings the schema to
// version i+1. Steps are only ever appended; a released step never changes.
func migrations() []string {
	return []string{
		// 1: gateway-wide key/value settings and markers.
		`CREATE TABLE meta (
			key   TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
	}
}
