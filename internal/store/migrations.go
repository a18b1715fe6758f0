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
		// 2: presence subscriptions (RFC 8048) and their SIP dialogs, so
		// that a restart resumes them instead of starting over.
		`CREATE TABLE subscriptions (
			id         TEXT PRIMARY KEY,
			kind       TEXT NOT NULL,
			watcher    TEXT NOT NULL,
			presentity TEXT NOT NULL,
			state      TEXT NOT NULL,
			expires    INTEGER NOT NULL,
			dialog     TEXT NOT NULL,
			updated    INTEGER NOT NULL
		);
		CREATE INDEX subscriptions_pair ON subscriptions (watcher, presentity)`,
		// 3: persistent chat rooms (XEP-0045 §10.1.3 persistentroom, RFC
		// 7701 rooms hosted by sxgw) and their settings.
		`CREATE TABLE rooms (
			name     TEXT PRIMARY KEY,
			subject  TEXT NOT NULL,
			settings TEXT NOT NULL,
			updated  INTEGER NOT NULL
		)`,
	}
}
