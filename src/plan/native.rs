//! Native code that follows the app onto distroless: an interpreter carried from the builder
//! (a version no distroless image has), and the shared libraries every ELF file of the
//! runtime stage needs that the runtime base lacks.
//!
//! Recipes put what they carry under [`STAGED_ROOT`] in the builder, laid out as it must
//! appear in the runtime image (`/.shallot/root/usr/local/bin/python3.11` lands at
//! `/usr/local/bin/python3.11`); the runtime stage copies that tree onto its base.

/// Where the builder stages files for the runtime image's root.
pub const STAGED_ROOT: &str = "/.shallot/root";
