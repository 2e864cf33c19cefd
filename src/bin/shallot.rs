//! `shallot`: check a spec, show its plan, write its LLB for `buildctl`, or print its SBOM.

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use shallot::context::{self, LocalDir};
use shallot::gateway::{host_platform, parse_platform, plan_platform};
use shallot::llb::{self, BuildEnv, SourceFile};
use shallot::load::{LoadError, Loaded, load};
use shallot::plan::{BUILDER_IMAGE_ARG, Options, Platform, RUNTIME_IMAGE_ARG, Target};
use shallot::sbom;
use shallot::spec::{self, Diagnostics};
use std::io::{ErrorKind, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Ship an app as a small, safe container image from a three-line spec.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a spec; print each problem as `file:line:col: message` and exit 1 if any.
    Check {
        #[command(flatten)]
        input: Input,
        /// Show each problem with the spec's lines and a caret, as rustc does.
        #[arg(long)]
        pretty: bool,
    },
    /// Print the build plan as JSON: images, steps, cache mounts, image config.
    Plan {
        #[command(flatten)]
        input: Input,
    },
    /// Write the LLB definition to stdout, for `buildctl build --local context=DIR`.
    Llb {
        #[command(flatten)]
        input: Input,
        /// Print the decoded ops as JSON instead of the binary definition.
        #[arg(long)]
        json: bool,
    },
    /// Print an SPDX 2.3 JSON SBOM of the runtime image: the app, its language runtime and its
    /// production dependencies, from the lockfile the build installs from.
    Sbom(SbomArgs),
}

#[derive(clap::Args)]
struct SbomArgs {
    /// The app's directory: the build context.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The spec file (default: DIR/shallot.yaml).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// A build argument, as `docker build --build-arg` passes it; `SOURCE_DATE_EPOCH` (else
    /// the environment's) dates the document, which is otherwise dated 1970-01-01.
    #[arg(long, value_name = "NAME=VALUE", value_parser = pair)]
    build_arg: Vec<(String, String)>,
    /// The image's platform (`linux/arm64`); by default this machine's.
    #[arg(long, value_name = "OS/ARCH", value_parser = platforms)]
    platform: Option<Platforms>,
}

#[derive(clap::Args)]
struct Input {
    /// The spec file.
    #[arg(default_value = "shallot.yaml")]
    file: PathBuf,
    /// The build context (default: the spec's directory).
    #[arg(long)]
    context: Option<PathBuf>,
    /// Use this builder image (like the `SHALLOT_BUILDER_IMAGE` build arg).
    #[arg(long, value_name = "REF")]
    builder_image: Option<String>,
    /// Use this runtime image (like the `SHALLOT_RUNTIME_IMAGE` build arg).
    #[arg(long, value_name = "REF")]
    runtime_image: Option<String>,
    /// A build argument, as `docker build --build-arg` passes it: `${NAME}` in the spec's
    /// env, labels, args and build commands becomes VALUE.
    #[arg(long, value_name = "NAME=VALUE", value_parser = pair)]
    build_arg: Vec<(String, String)>,
    /// A named context, as `docker buildx build --build-context` passes it: `builder` or
    /// `runtime` (or the image's reference) as `docker-image://REF` replaces that base image.
    #[arg(long, value_name = "NAME=VALUE", value_parser = pair)]
    build_context: Vec<(String, String)>,
    /// Which image the build returns.
    #[arg(long, value_enum, default_value_t = TargetArg::Runtime)]
    target: TargetArg,
    /// The platforms to plan for, as `docker buildx build --platform` takes them
    /// (`linux/amd64,linux/arm64`); by default this machine's.
    #[arg(long, value_name = "OS/ARCH[,...]", value_parser = platforms)]
    platform: Option<Platforms>,
}

/// `--platform`'s list, in order, each once (a type of its own: clap reads a `Vec` field as
/// a repeated flag).
#[derive(Clone)]
struct Platforms(Vec<Platform>);

fn platforms(text: &str) -> Result<Platforms, String> {
    let mut list: Vec<Platform> = Vec::new();
    for one in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let platform = Platform::parse(one)
            .ok_or_else(|| format!("expected os/arch[/variant], e.g. linux/amd64, got `{one}`"))?;
        if !list.contains(&platform) {
            list.push(platform);
        }
    }
    if list.is_empty() {
        return Err("expected os/arch[/variant], e.g. linux/amd64".to_string());
    }
    Ok(Platforms(list))
}

fn pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))
}

/// `--target`, as clap spells the choices.
#[derive(Clone, Copy, ValueEnum)]
enum TargetArg {
    Runtime,
    Debug,
    Builder,
}

impl From<TargetArg> for Target {
    fn from(target: TargetArg) -> Target {
        match target {
            TargetArg::Runtime => Target::Runtime,
            TargetArg::Debug => Target::Debug,
            TargetArg::Builder => Target::Builder,
        }
    }
}

impl Input {
    /// The platforms to plan for: `--platform`, else this machine's.
    fn platforms(&self) -> Vec<Platform> {
        match &self.platform {
            Some(Platforms(list)) => list.clone(),
            None => vec![plan_platform(&host_platform())],
        }
    }

    /// The options a build with these flags would have.
    fn options(&self) -> Options {
        let mut build_args: std::collections::BTreeMap<String, String> =
            self.build_arg.iter().cloned().collect();
        // The flags say the same as the build args, and win over them.
        let images = [
            (BUILDER_IMAGE_ARG, &self.builder_image),
            (RUNTIME_IMAGE_ARG, &self.runtime_image),
        ];
        for (arg, image) in images {
            if let Some(image) = image {
                build_args.insert(arg.to_string(), image.clone());
            }
        }
        Options {
            build_args,
            labels: Default::default(),
            target: self.target.into(),
            contexts: self.build_context.iter().cloned().collect(),
            spec_file: self.spec_in_context(),
            // As the errors this tool prints name it.
            spec_name: Some(self.file.display().to_string()),
            platform: self.platforms().first().cloned().unwrap_or_default(),
        }
    }

    /// The spec's path relative to the context, `/`-separated, when it lies inside it.
    fn spec_in_context(&self) -> Option<String> {
        let context = std::fs::canonicalize(self.context_dir()).ok()?;
        let file = std::fs::canonicalize(&self.file).ok()?;
        let relative = file.strip_prefix(context).ok()?;
        let parts: Option<Vec<&str>> = relative.iter().map(|p| p.to_str()).collect();
        Some(parts?.join("/"))
    }

    /// The build context: `--context`, else the spec's directory.
    fn context_dir(&self) -> PathBuf {
        self.context.clone().unwrap_or_else(|| {
            self.file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."))
        })
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => match e.downcast_ref::<WriteFailed>() {
            // The reader has gone (`shallot plan | head -1`) and wanted no more: not an error.
            Some(WriteFailed(io)) if io.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            _ => {
                // One line, whatever paths or values it quotes.
                tell(&format!("shallot: {}", spec::safe(&format!("{e:#}"))));
                ExitCode::FAILURE
            }
        },
    }
}

/// Writing to stdout failed (a closed pipe, a full disk).
#[derive(Debug, thiserror::Error)]
#[error("cannot write: {0}")]
struct WriteFailed(std::io::Error);

impl From<std::io::Error> for WriteFailed {
    fn from(e: std::io::Error) -> Self {
        WriteFailed(e)
    }
}

/// Writes `bytes` to stdout; `println!` would panic where this returns the error.
fn emit(bytes: &[u8]) -> Result<(), WriteFailed> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Writes a line to stderr; if even that fails, there is no one left to tell.
fn tell(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { input, pretty } => {
            let file = read(&input.file)?;
            match plan(&input, &file)? {
                Ok(_) => {
                    emit(format!("{}: ok\n", spec::safe(&file.shown)).as_bytes())?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(diagnostics) => Ok(show(&diagnostics, &file, pretty)),
            }
        }
        Command::Plan { input } => {
            let file = read(&input.file)?;
            let loaded = match plan(&input, &file)? {
                Ok(loaded) => loaded,
                Err(diagnostics) => return Ok(show(&diagnostics, &file, false)),
            };
            // One plan as it is; several by platform, as BuildKit returns several images.
            let json = match loaded.plans.as_slice() {
                [_] => serde_json::to_string_pretty(&loaded.plan)?,
                plans => {
                    let by_platform: std::collections::BTreeMap<String, &shallot::plan::Plan> =
                        plans
                            .iter()
                            .map(|(p, plan)| (p.to_string(), plan))
                            .collect();
                    serde_json::to_string_pretty(&by_platform)?
                }
            };
            emit(format!("{json}\n").as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Llb { input, json } => {
            if input.platforms().len() > 1 {
                bail!("a definition is for one platform: pass one --platform");
            }
            let file = read(&input.file)?;
            let loaded = match plan(&input, &file)? {
                Ok(loaded) => loaded,
                Err(diagnostics) => return Ok(show(&diagnostics, &file, false)),
            };
            let env = BuildEnv {
                // Without a daemon to ask, runs carry their own PATH.
                needs_default_path: true,
                spec: Some(SourceFile {
                    filename: file.shown.clone(),
                    data: file.text.clone().into_bytes(),
                    language: "YAML".to_string(),
                }),
                context_name: "context".to_string(),
                // Only a platform asked for is written; else the daemon builds for its own.
                platform: input
                    .platform
                    .as_ref()
                    .and_then(|Platforms(list)| list.first())
                    .and_then(|p| parse_platform(&p.to_string())),
                ..Default::default()
            };
            let stage = Target::from(input.target).stage();
            let definition = llb::from_plan(&loaded.plan, &env, stage);
            if json {
                let ops = llb::ops_json(&definition);
                emit(format!("{}\n", serde_json::to_string_pretty(&ops)?).as_bytes())?;
            } else {
                if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                    bail!("the definition is binary; pipe it into `buildctl build` or use --json");
                }
                emit(&definition.to_bytes())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sbom(args) => sbom(args),
    }
}

/// `shallot sbom`: plans the spec as a build would, reads the lockfile the plan installs from
/// and prints the SPDX document.
fn sbom(args: SbomArgs) -> anyhow::Result<ExitCode> {
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| args.dir.join("shallot.yaml"));
    let input = Input {
        file,
        context: Some(args.dir.clone()),
        builder_image: None,
        runtime_image: None,
        build_arg: args.build_arg.clone(),
        build_context: Vec::new(),
        target: TargetArg::Runtime,
        platform: args.platform.clone(),
    };
    if input.platforms().len() > 1 {
        bail!("an SBOM is of one platform's image: pass one --platform");
    }
    let spec = read(&input.file)?;
    let loaded = match plan(&input, &spec)? {
        Ok(loaded) => loaded,
        Err(diagnostics) => return Ok(show(&diagnostics, &spec, false)),
    };
    let paths = sbom::lockfiles(&loaded.plan);
    let mut dir = LocalDir::new(input.context_dir());
    let files = block_on(context::gather_whole(
        &mut dir,
        &loaded.facts,
        &paths,
        sbom::MAX_LOCKFILE_BYTES,
    ))??;
    let platform = input.platforms().first().cloned().unwrap_or_default();
    let bom = sbom::Sbom::from_plan(&loaded.plan, &platform, &files)?;
    let epoch =
        args.build_arg
            .iter()
            .rev()
            .find(|(name, _)| name == "SOURCE_DATE_EPOCH")
            .map(|(_, value)| value.clone())
            .or_else(|| std::env::var("SOURCE_DATE_EPOCH").ok())
            .map(|value| {
                value.trim().parse::<i64>().with_context(|| {
                    format!("SOURCE_DATE_EPOCH is not a number of seconds: `{value}`")
                })
            })
            .transpose()?;
    let document = sbom::spdx::document(&bom, epoch);
    emit(format!("{}\n", serde_json::to_string_pretty(&document)?).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the spec's problems (`file:line:col: …`, or with snippets when `pretty`); exit 1.
fn show(diagnostics: &Diagnostics, file: &SpecFile, pretty: bool) -> ExitCode {
    if pretty {
        tell(&diagnostics.render(&file.text, &file.shown));
    } else {
        tell(&diagnostics.short(&file.shown));
    }
    ExitCode::FAILURE
}

/// A spec read from disk, with the name errors show for it.
struct SpecFile {
    /// The text; where the bytes are not UTF-8, a lossy reading for `--pretty` snippets.
    text: String,
    /// Why the bytes are not a spec's text (not UTF-8, too large), if they are not.
    undecodable: Option<Diagnostics>,
    shown: String,
}

/// Reads at most one byte past the size limit, so a spec linked to `/dev/zero` or a huge file
/// is answered at once with the size error.
fn read(file: &Path) -> anyhow::Result<SpecFile> {
    let cannot = || format!("cannot read {}", file.display());
    let limit = u64::try_from(spec::MAX_SPEC_BYTES).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .with_context(cannot)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(cannot)?;
    let (text, undecodable) = match spec::decode(&bytes) {
        Ok(text) => (text, None),
        Err(problem) => (String::from_utf8_lossy(&bytes).into_owned(), Some(problem)),
    };
    Ok(SpecFile {
        text,
        undecodable,
        shown: file.display().to_string(),
    })
}

/// Loads and plans the spec as a build would, from the local disk: `Ok(Err(…))` for the spec's
/// problems, `Err` for anything else (an unreadable context, a bad option).
fn plan(input: &Input, file: &SpecFile) -> anyhow::Result<Result<Loaded, Diagnostics>> {
    if let Some(problem) = &file.undecodable {
        return Ok(Err(problem.clone()));
    }
    let context = input.context_dir();
    if !context.is_dir() {
        // Else every file the spec names would be reported missing, and not why.
        bail!(
            "the build context {} is not a directory; pass the app's directory with --context",
            context.display()
        );
    }
    let mut dir = LocalDir::new(context);
    let text = std::future::ready(Ok::<_, anyhow::Error>(file.text.clone()));
    match block_on(load(&mut dir, text, &input.options(), &input.platforms()))? {
        Ok(loaded) => Ok(Ok(loaded)),
        Err(LoadError::Spec(diagnostics)) => Ok(Err(diagnostics)),
        Err(LoadError::Read(e)) => Err(e),
        Err(other) => Err(anyhow::anyhow!("{other}")),
    }
}

/// Runs a future that does no real waiting (local file reads) to completion.
fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start a runtime")?;
    Ok(runtime.block_on(future))
}
