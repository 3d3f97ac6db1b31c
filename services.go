package docsapi

// Services is every service over one store, as an engine's NewServices
// returns them, so that the server and the tests wire one value.
type Services struct {
	Accounts    AccountService
	APIKeys     APIKeyService
	Resources   ResourceService
	RequestLogs RequestLogService
	Idempotency IdempotencyService
	Sessions    SessionService
}
