package http

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openAPI []byte

// handleOpenAPI serves GET /v1/openapi.json, the file that openapi_test.go
// holds to the route table.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusOK, openAPI)
}
