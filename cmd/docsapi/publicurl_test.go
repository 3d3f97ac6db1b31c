package main

import "testing"

func TestPublicURL(t *testing.T) {
	tests := []struct {
		value, want string
		wantErr     bool
	}{
		{value: "", want: ""},
		{value: "https://api.example.com", want: "https://api.example.com"},
		{value: "https://api.example.com/", want: "https://api.example.com"},
		{value: "http://127.0.0.1:8080/api", want: "http://127.0.0.1:8080/api"},
		{value: "api.example.com", wantErr: true},
		{value: "ftp://api.example.com", wantErr: true},
		{value: "https://", wantErr: true},
		{value: "https://api.example.com/?x=1", wantErr: true},
		{value: "https://api.example.com/#docs", wantErr: true},
		{value: "https://user:pw@api.example.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Setenv("DOCSAPI_PUBLIC_URL", tt.value)
		got, err := publicURL()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("publicURL(%q) = %q, %v; want %q, error %v", tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}
