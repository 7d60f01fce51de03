module github.com/serverless-wallet/wallet/tools/unusedexports

go 1.26

require golang.org/x/tools v0.39.0

require (
	golang.org/x/mod v0.30.0 // indirect
	golang.org/x/sync v0.18.0 // indirect
)
