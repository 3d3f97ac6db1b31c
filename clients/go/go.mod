module github.com/docsapi/docsapi/clients/go

go 1.23
