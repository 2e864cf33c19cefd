//! Readers for the file formats apps carry: pure functions over text or bytes, returning plain
//! data and their own small errors.
//!
//! No recipe decisions live here (which versions have images, what a problem's hint says, which
//! files to copy): the recipes in [`crate::runtimes`] make those. This module imports nothing
//! else from the crate, so each reader can be read and tested on its own.

pub mod elf;
pub mod go_mod;
pub mod gradle;
pub mod image_ref;
pub mod java_version;
pub mod next_config;
pub mod npm_range;
pub mod pom;
pub mod procfile;
pub mod python_lock;
pub mod python_version;
pub mod requirements;
pub mod runtime_txt;
pub mod rust_toolchain;
pub mod tool_versions;
pub mod xml;
pub mod yarnrc;
