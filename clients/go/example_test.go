package docsapi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	docsapi "github.com/docsapi/docsapi/clients/go"
)

// The README's options example; compiled, not run (make test-go-install runs the quick start).
func Example() {
	ctx := context.Background()
	client := docsapi.NewClient("",
		docsapi.WithBaseURL("http://127.0.0.1:8080"),
		docsapi.WithMaxRetries(2),
		docsapi.WithTimeout(30*time.Second),
	)

	r, err := client.Resources.Create(ctx, &docsapi.ResourceCreateParams{
		Name:     "Quarterly report",
		Metadata: map[string]string{"team": "finance"},
	})
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.Resources.Update(ctx, r.ID, &docsapi.ResourceUpdateParams{
		Description: docsapi.Value("Q3 numbers"),
		Metadata:    map[string]*string{"team": nil}, // nil (or "") removes the key
	})
	if err != nil {
		log.Fatal(err)
	}

	for r, err := range client.Resources.All(ctx, &docsapi.ListParams{Limit: docsapi.Int(100)}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.ID, r.Name)
	}
}

// The seed page's error-handling snippet in Go; compiled, not run.
func ExampleInvalidRequestError() {
	client := docsapi.NewClient("")

	_, err := client.Resources.Create(context.Background(), &docsapi.ResourceCreateParams{Name: ""})
	var invalid *docsapi.InvalidRequestError
	if errors.As(err, &invalid) && invalid.Code == "parameter_missing" {
		fmt.Printf("Missing: %s\n", invalid.Param)
	}
}

// Every failed call is a *docsapi.Error; compiled, not run.
func ExampleError() {
	client := docsapi.NewClient("")

	_, err := client.Resources.Retrieve(context.Background(), "res_123")
	var apiErr *docsapi.Error
	if errors.As(err, &apiErr) {
		log.Printf("docs api: %s (code %s, HTTP %d, request %s)",
			apiErr.Message, apiErr.Code, apiErr.HTTPStatus, apiErr.RequestID)
	}
}
