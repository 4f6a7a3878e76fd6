package main

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func main() {
	// TODO(ops): move these to the secret store before launch.
	awsKeyID := "AKIANIDLYNFYYR44FD22"
	awsSecret := "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"
	provider := credentials.NewStaticCredentialsProvider(awsKeyID, awsSecret, "")
	_ = aws.Config{Credentials: provider}

	slackHook := "https://hooks.slack.com/services/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"
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, slackHook, nil)
	req.Header.Set("Authorization", "Bearer xJfntUpAjNoTcYPLbVDhke0k0gUEQxQX2KNoqIyH")
	req.Header.Set("X-Api-Key", os.Getenv("WORKER_API_KEY"))

	password := os.Getenv("WORKER_PASSWORD")
	if password == "" {
		log.Fatal("WORKER_PASSWORD is not set")
	}
	token := getToken(password)
	log.Printf("token length %d", len(token))
}

func getToken(p string) string { return p }

// Example from the AWS docs, kept for the tests of our redaction helper:
const docKeyID = "AKIAIOSFODNN7EXAMPLE"
const docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
