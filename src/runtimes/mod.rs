//! Runtime recipes: one module per runtime, each one plain-data [`Recipe`].
//!
//! A recipe names the context files it needs to see ([`Recipe::probes`]) and turns a spec and
//! those files into a [`RecipePlan`](crate::plan::RecipePlan); the interface lives with the
//! plan, which knows no recipe. Adding a runtime means adding a module here and listing its
//! recipe in [`ALL`]; nothing else changes.

mod go;
mod java;
mod node;
// `static` is a keyword: the module is `prebuilt`, the file and the runtime are `static`.
#[path = "static.rs"]
mod prebuilt;
mod python;
mod rust;

pub use crate::plan::{Recipe, no_spec_probes};

/// Every runtime shallot knows.
pub const ALL: &[&Recipe] = &[
    &node::NODE,
    &python::PYTHON,
    &go::GO,
    &rust::RUST,
    &java::JAVA,
    &prebuilt::STATIC,
];

/// The recipe called `name`.
pub fn find(name: &str) -> Option<&'static Recipe> {
    ALL.iter().copied().find(|r| r.name == name)
}

/// The names users may write in `runtime:`.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|r| r.name).collect()
}

/// Every recipe's probes, once each: what the gateway reads from the context while the spec
/// is still being read, so that the two transfers overlap.
pub fn all_probes() -> Vec<&'static str> {
    let mut probes: Vec<&'static str> = ALL.iter().flat_map(|r| r.probes.iter().copied()).collect();
    probes.sort_unstable();
    probes.dedup();
    probes
}

/// The files each recipe's [`Recipe::spec_probes`] names for a spec that names no entrypoint
/// (node's conventional start files, rust's `src/main.rs`), once each. Most specs name none, or
/// one of these, so the gateway reads them with the probes: a spec that names only files read
/// then needs no second read of the context. Worked out once per process (it parses a spec
/// per recipe), not on every build.
pub fn default_spec_probes() -> &'static [String] {
    static PATHS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        let mut paths: Vec<String> = ALL
            .iter()
            .filter_map(|r| {
                let spec = crate::spec::parse(&format!("runtime: {}\n", r.name), &names()).ok()?;
                Some((r.spec_probes)(&spec))
            })
            .flatten()
            .collect();
        paths.sort_unstable();
        paths.dedup();
        paths
    })
}

/// A relative context path normalized (`a/./b/` → `a/b`), if it stays inside the context;
/// `""` is the context root. Manifests name local packages this way, and only paths inside
/// the context can be copied.
pub fn context_path(path: &str) -> Option<String> {
    if path.starts_with('/') || path.starts_with('~') || path.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// [`context_path`], but not the context root itself.
pub fn inside_context(path: &str) -> Option<String> {
    context_path(path).filter(|p| !p.is_empty())
}
