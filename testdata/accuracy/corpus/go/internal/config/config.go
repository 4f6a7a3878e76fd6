package config

import (
	"os"
	"time"
)

// Config holds the service settings. Values here are development defaults;
// production reads everything from the environment.
type Config struct {
	DatabaseURL   string
	RedisURL      string
	StripeKey     string
	GitHubToken   string
	SessionSecret []byte
	Timeout       time.Duration
}

const defaultStripeKey = "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"

var githubToken = "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"

func Load() *Config {
	c := &Config{
		DatabaseURL: "postgres://billing:Hq7!vR2p-Lm9xZ@db.internal:5432/billing?sslmode=require",
		RedisURL:    os.Getenv("REDIS_URL"),
		StripeKey:   defaultStripeKey,
		GitHubToken: githubToken,
		Timeout:     30 * time.Second,
	}
	c.SessionSecret = []byte("00f766b049a182fd3a2cde32695fe2eebcc276f4b434b9da8e1e5b082d2f648d")
	if v := os.Getenv("STRIPE_SECRET_KEY"); v != "" {
		c.StripeKey = v
	}
	return c
}

// The commit that introduced this default: 4f9c2ab1d0e8c7b6a5f4e3d2c1b0a9f8e7d6c5b4
var buildCommit = "9e107d9d372bb6826bd81d3542a419d6e4c1b2a7"

var requestIDPrefix = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
