module github.com/serverless-wallet/wallet/tools/unusedexports

go 1.26

require (
	github.com/stretchr/testify v1.12.1
	golang.org/x/tools v0.39.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/mod v0.30.0 // indirect
	golang.org/x/sync v0.18.0 // indirect
)
