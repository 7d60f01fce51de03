// Command hello is the cold-start benchmark's yardstick (make bench-cold): the smallest
// aws-lambda-go function, built like the functions, answering every event at once. It is
// not deployed.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
