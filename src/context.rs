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
/// How much of a file named by the spec is read: enough for an ELF header and its program
/// headers, never a whole binary.
pub const HEADER_BYTES: usize = 4096;

/// Files of a build context, read by relative path.
pub trait Context {
    /// The error of this context.
    type Error: std::error::Error;

    /// The contents (at most `limit` bytes of each) of those `paths` that exist as files,
    /// relative to the context root.
    fn read_existing(
        &mut self,
        paths: &[&str],
        limit: usize,
    ) -> impl Future<Output = Result<BTreeMap<String, Vec<u8>>, Self::Error>>;
}

/// Reads the probe files (a recipe's, or every recipe's when the runtime is not known yet)
/// and `.dockerignore`.
pub async fn gather<C: Context>(context: &mut C, probes: &[&str]) -> Result<Facts, C::Error> {
    let mut paths: Vec<&str> = probes.to_vec();
    paths.push(".dockerignore");
    let mut files = context.read_existing(&paths, MAX_FILE_BYTES).await?;
    let dockerignore = files
        .remove(".dockerignore")
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    Ok(Facts {
        files,
        dockerignore,
        ..Facts::default()
    })
}

/// Adds the beginnings of the files a recipe names from the spec (e.g. a prebuilt binary,
/// whose ELF header decides its runtime image, or the script a start command runs) to
/// `facts`, and those it lacks to [`Facts::absent`].
pub async fn gather_headers<C: Context>(
    context: &mut C,
    paths: &[String],
    facts: &mut Facts,
) -> Result<(), C::Error> {
    if paths.is_empty() {
        return Ok(());
    }
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let headers = context.read_existing(&paths, HEADER_BYTES).await?;
    let absent = paths.iter().filter(|p| !headers.contains_key(**p));
    facts.absent.extend(absent.map(|p| p.to_string()));
    facts.files.extend(headers);
    Ok(())
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
}

impl Context for LocalDir {
    type Error = LocalError;

    async fn read_existing(
        &mut self,
        paths: &[&str],
        limit: usize,
    ) -> Result<BTreeMap<String, Vec<u8>>, LocalError> {
        use std::io::Read;
        let mut files = BTreeMap::new();
        for path in paths {
            let full = self.root.join(path);
            let read_error = |source| LocalError::Read {
                path: full.clone(),
                source,
            };
            match std::fs::metadata(&full) {
                Ok(meta) if meta.is_file() => {
                    let file = std::fs::File::open(&full).map_err(read_error)?;
                    let mut bytes = Vec::new();
                    file.take(limit as u64)
                        .read_to_end(&mut bytes)
                        .map_err(read_error)?;
                    files.insert((*path).to_string(), bytes);
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(read_error(source)),
            }
        }
        Ok(files)
    }
}
