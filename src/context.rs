//! Reading the few facts a recipe needs from the build context.
//!
//! A recipe names the files it looks at ([`Recipe::probes`](crate::runtimes::Recipe::probes)); [`gather`] reads those that exist
//! plus `.dockerignore` through [`Context`], which both BuildKit's context (in `gateway`) and a
//! directory on disk ([`LocalDir`], for the CLI) implement. Nothing else of the context is read:
//! the app's source goes to BuildKit as a local source and never through the frontend.

use crate::plan::Facts;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;

/// Largest context file a recipe may read; manifests are far smaller.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// Files of a build context, read by relative path.
pub trait Context {
    /// The error of this context.
    type Error: std::error::Error;

    /// The contents of those `paths` that exist (relative to the context root).
    fn read_existing(
        &mut self,
        paths: &[&str],
    ) -> impl Future<Output = Result<BTreeMap<String, Vec<u8>>, Self::Error>>;
}

/// Reads the probe files (a recipe's, or every recipe's when the runtime is not known yet)
/// and `.dockerignore`.
pub async fn gather<C: Context>(context: &mut C, probes: &[&str]) -> Result<Facts, C::Error> {
    let mut paths: Vec<&str> = probes.to_vec();
    paths.push(".dockerignore");
    let mut files = context.read_existing(&paths).await?;
    let dockerignore = files
        .remove(".dockerignore")
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    Ok(Facts {
        files,
        dockerignore,
    })
}

/// A build context on the local disk.
#[derive(Clone, Debug)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// The context rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalDir { root: root.into() }
    }
}

/// A context file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// Reading failed for another reason than absence.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than a manifest can reasonably be.
    #[error("{path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
}

impl Context for LocalDir {
    type Error = LocalError;

    async fn read_existing(
        &mut self,
        paths: &[&str],
    ) -> Result<BTreeMap<String, Vec<u8>>, LocalError> {
        let mut files = BTreeMap::new();
        for path in paths {
            let full = self.root.join(path);
            match std::fs::metadata(&full) {
                Ok(meta) if meta.is_file() => {
                    if meta.len() > MAX_FILE_BYTES as u64 {
                        return Err(LocalError::TooLarge { path: full });
                    }
                    let bytes = std::fs::read(&full).map_err(|source| LocalError::Read {
                        path: full.clone(),
                        source,
                    })?;
                    files.insert((*path).to_string(), bytes);
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(LocalError::Read { path: full, source }),
            }
        }
        Ok(files)
    }
}
