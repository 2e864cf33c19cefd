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

pub use crate::plan::facts::MAX_FILE_BYTES;
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
///
/// One byte more than [`MAX_FILE_BYTES`] is asked for, so that a larger file is known to be
/// one ([`Facts::oversized`]) rather than read as if it ended there; its first
/// [`MAX_FILE_BYTES`] are kept.
pub async fn gather<C: Context>(context: &mut C, probes: &[&str]) -> Result<Facts, C::Error> {
    let mut paths: Vec<&str> = probes.to_vec();
    paths.push(".dockerignore");
    let mut files = context.read_existing(&paths, MAX_FILE_BYTES + 1).await?;
    let mut oversized = std::collections::BTreeSet::new();
    for (path, bytes) in &mut files {
        if bytes.len() > MAX_FILE_BYTES {
            bytes.truncate(MAX_FILE_BYTES);
            oversized.insert(path.clone());
        }
    }
    let dockerignore = files
        .remove(".dockerignore")
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    Ok(Facts {
        files,
        dockerignore,
        oversized,
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

/// What [`gather_headers`] would add for `paths` when [`gather`] has already looked for them:
/// each file's first [`HEADER_BYTES`] (in place of its contents), and those the context lacks
/// to [`Facts::absent`]. No second read of the context is needed.
pub fn headers_read(paths: &[String], facts: &mut Facts) {
    for path in paths {
        match facts.files.get_mut(path) {
            Some(bytes) => bytes.truncate(HEADER_BYTES),
            None => {
                facts.absent.insert(path.clone());
            }
        }
    }
}

/// The files at `paths` whole, for a reader that needs all of each (an SBOM's lockfiles):
/// those `facts` holds whole are taken from it, the others (larger than the probes' limit, or
/// never probed) are read now, up to one byte past `limit`, so that a file larger than `limit`
/// is known to be one. Only a build that asks for such a reader pays for the reads.
pub async fn gather_whole<C: Context>(
    context: &mut C,
    facts: &Facts,
    paths: &[String],
    limit: usize,
) -> Result<BTreeMap<String, Vec<u8>>, C::Error> {
    let mut files = BTreeMap::new();
    let mut unread = Vec::new();
    for path in paths {
        match facts.files.get(path) {
            Some(bytes) if !facts.oversized.contains(path) => {
                files.insert(path.clone(), bytes.clone());
            }
            _ => unread.push(path.as_str()),
        }
    }
    if !unread.is_empty() {
        let read = context
            .read_existing(&unread, limit.saturating_add(1))
            .await?;
        files.extend(read);
    }
    Ok(files)
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
    /// Reading failed for another reason than absence. The cause is part of the message
    /// (not a `source`, which a report would print a second time).
    #[error("cannot read {path} in the build context: {cause}")]
    Read {
        /// The file, relative to the context.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
}

/// How many symbolic links one path may pass through (Linux's own bound is 40).
const MAX_LINKS: usize = 255;

impl LocalDir {
    /// Where the context path `path` leads, resolved as BuildKit resolves a path in the context
    /// it was sent (continuity's `RootPath`): symbolic links are followed, but the root is the
    /// top, so an absolute target starts again at the root and `..` stops there. A link can
    /// so never lead a read out of the context, as the build could not follow it there either.
    /// `Ok(None)` when some part of the path does not exist.
    fn resolve(&self, path: &str) -> std::io::Result<Option<PathBuf>> {
        use std::collections::VecDeque;
        use std::ffi::OsString;
        use std::path::Component;
        let mut pending: VecDeque<OsString> = path.split('/').map(OsString::from).collect();
        let mut resolved = self.root.clone();
        let mut depth = 0usize;
        let mut links = 0usize;
        while let Some(part) = pending.pop_front() {
            if part.is_empty() || part == "." {
                continue;
            }
            if part == ".." {
                if depth > 0 {
                    resolved.pop();
                    depth -= 1;
                }
                continue;
            }
            let candidate = resolved.join(&part);
            let meta = match std::fs::symlink_metadata(&candidate) {
                Ok(meta) => meta,
                Err(e) if is_absence(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            if !meta.file_type().is_symlink() {
                resolved = candidate;
                depth += 1;
                continue;
            }
            links += 1;
            if links > MAX_LINKS {
                return Err(std::io::Error::other("too many levels of symbolic links"));
            }
            let target = std::fs::read_link(&candidate)?;
            let mut parts = VecDeque::new();
            for component in target.components() {
                match component {
                    Component::RootDir | Component::Prefix(_) => {
                        resolved = self.root.clone();
                        depth = 0;
                    }
                    Component::CurDir => {}
                    Component::ParentDir => parts.push_back(OsString::from("..")),
                    Component::Normal(name) => parts.push_back(name.to_os_string()),
                }
            }
            parts.extend(pending);
            pending = parts;
        }
        Ok(Some(resolved))
    }
}

/// Whether a failed lookup means the path is not there.
fn is_absence(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
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
            let read_error = |cause| LocalError::Read {
                path: (*path).to_string(),
                cause,
            };
            let Some(full) = self.resolve(path).map_err(read_error)? else {
                continue;
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
                Err(e) if is_absence(&e) => {}
                Err(cause) => return Err(read_error(cause)),
            }
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::path::Path;

    fn read(dir: &Path, paths: &[&str], limit: usize) -> BTreeMap<String, Vec<u8>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime
            .block_on(LocalDir::new(dir).read_existing(paths, limit))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn links_are_followed_inside_the_context_and_never_out_of_it() {
        let outer = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = outer.path().join("context");
        std::fs::create_dir_all(root.join("sub")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(outer.path().join("secret"), "outside").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("sub/real"), "inside").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("secret"), "the context's own").unwrap_or_else(|e| panic!("{e}"));
        for (link, target) in [
            ("relative", "sub/real"),
            ("climbing", "sub/../sub/real"),
            ("up-and-out", "../secret"),
            ("far-up", "../../../../../../secret"),
            ("absolute", "/secret"),
            ("dangling", "sub/missing"),
            ("through-a-file", "sub/real/x"),
            ("loop", "loop"),
            ("dir", "sub"),
        ] {
            symlink(target, root.join(link)).unwrap_or_else(|e| panic!("{e}"));
        }
        symlink(outer.path().join("secret"), root.join("outside-absolute"))
            .unwrap_or_else(|e| panic!("{e}"));
        let got = read(
            &root,
            &[
                "relative",
                "climbing",
                "up-and-out",
                "far-up",
                "absolute",
                "dangling",
                "through-a-file",
                "dir",
                "outside-absolute",
                "dir/real",
            ],
            100,
        );
        let text = |p: &str| got.get(p).map(|b| String::from_utf8_lossy(b).into_owned());
        assert_eq!(text("relative").as_deref(), Some("inside"));
        assert_eq!(text("climbing").as_deref(), Some("inside"));
        assert_eq!(text("dir/real").as_deref(), Some("inside"));
        // `..` stops at the root and `/` is the root: the context's own file, never the outer.
        assert_eq!(text("up-and-out").as_deref(), Some("the context's own"));
        assert_eq!(text("far-up").as_deref(), Some("the context's own"));
        assert_eq!(text("absolute").as_deref(), Some("the context's own"));
        for absent in ["dangling", "through-a-file", "dir", "outside-absolute"] {
            assert_eq!(text(absent), None, "{absent}");
        }
        let mut dir = LocalDir::new(&root);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let e = runtime
            .block_on(dir.read_existing(&["loop"], 100))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read loop in the build context: too many levels of symbolic links"
        );
    }

    #[test]
    fn a_file_past_the_limit_is_known_to_be_larger() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let big = vec![b'1'; MAX_FILE_BYTES + 10];
        std::fs::write(dir.path().join("package.json"), &big).unwrap_or_else(|e| panic!("{e}"));
        let exact = vec![b' '; MAX_FILE_BYTES];
        std::fs::write(dir.path().join("go.mod"), &exact).unwrap_or_else(|e| panic!("{e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let facts = runtime
            .block_on(gather(
                &mut LocalDir::new(dir.path()),
                &["package.json", "go.mod"],
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(facts.files["package.json"].len(), MAX_FILE_BYTES);
        assert_eq!(facts.files["go.mod"].len(), MAX_FILE_BYTES);
        assert!(facts.oversized.contains("package.json"));
        assert!(!facts.oversized.contains("go.mod"));
    }
}
