module github.com/leakhound/leakhound

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/wasilibs/go-re2 v1.13.0
	golang.org/x/term v0.47.0
)

require golang.org/x/sys v0.49.0 // indirect
