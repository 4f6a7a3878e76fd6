package main

import (
	"fmt"
	"os"
)

func main() {
	apiKey := os.Getenv("PAYMENTS_API_KEY") // from the environment: not a leak
	fmt.Println(len(apiKey))
}
