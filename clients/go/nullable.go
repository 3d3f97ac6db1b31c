package docsapi

import "encoding/json"

// Nullable is an update field that can be left alone (the zero value), set
// to a value, or set to null.
type Nullable[T any] struct {
	value T
	set   bool
	null  bool
}

// Value returns a Nullable set to v.
func Value[T any](v T) Nullable[T] { return Nullable[T]{value: v, set: true} }

// Null returns a Nullable set to null.
func Null[T any]() Nullable[T] { return Nullable[T]{set: true, null: true} }

// MarshalJSON encodes the value, or null when it is null or unset.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if n.null || !n.set {
		return []byte("null"), nil
	}
	return json.Marshal(n.value)
}

// String returns a pointer to s, for optional string fields.
func String(s string) *string { return &s }

// Int returns a pointer to n, for optional int fields such as ListParams.Limit.
func Int(n int) *int { return &n }
