package docsapi

// Services is every service over one store, as an engine's NewServices
// returns them: what an engine offers, in one value for its callers.
type Services struct {
	Accounts    AccountService
	APIKeys     APIKeyService
	Resources   ResourceService
	RequestLogs RequestLogService
	Idempotency IdempotencyService
	Sessions    SessionService
}
