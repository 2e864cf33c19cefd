"""Text the example serves; a module of the app itself, so the build byte-compiles it."""

HELLO = "hello from shallot"
