// Package greeting is a local module of the example, wired in by a replace directive.
package greeting

// For greets someone.
func For(name string) string {
	return "greetings, " + name
}
