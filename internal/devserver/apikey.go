package devserver

import (
	"crypto/subtle"
	"errors"
	"strings"

	"go.temporal.io/server/common/authorization"
)

// apiKeyMapper gives every role to a call that carries one of keys as its
// bearer token, and none to any other: Temporal's default authorizer then
// refuses it.
type apiKeyMapper struct {
	keys []string
}

var errBadKey = errors.New("API key not accepted")

func (m apiKeyMapper) GetClaims(info *authorization.AuthInfo) (*authorization.Claims, error) {
	token, ok := strings.CutPrefix(info.AuthToken, "Bearer ")
	if !ok || token == "" {
		return nil, errBadKey
	}
	// Every key is compared, in constant time, so that timing tells nothing.
	match := 0
	for _, k := range m.keys {
		match |= subtle.ConstantTimeCompare([]byte(token), []byte(k))
	}
	if match != 1 {
		return nil, errBadKey
	}
	return &authorization.Claims{Subject: "api-key", System: authorization.RoleAdmin}, nil
}
