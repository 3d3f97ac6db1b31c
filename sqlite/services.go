package sqlite

import "github.com/docsapi/docsapi"

// NewServices returns every service on db.
func NewServices(db *DB) docsapi.Services {
	return docsapi.Services{Accounts: NewAccountService(db), APIKeys: NewAPIKeyService(db),
		Resources: NewResourceService(db), RequestLogs: NewRequestLogService(db),
		Idempotency: NewIdempotencyService(db), Sessions: NewSessionService(db)}
}
