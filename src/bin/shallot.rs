//! `shallot`: check a spec, show its plan, or write its LLB for `buildctl`.

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use shallot::context::{LocalDir, gather, gather_headers};
use shallot::llb::{self, BuildEnv, SourceFile, Stage};
use shallot::plan::{Options, Plan};
use shallot::{runtimes, spec};
use std::io::Write;
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
        /// Which stage to write.
        #[arg(long, value_enum, default_value_t = Target::Runtime)]
        target: Target,
        /// Print the decoded ops as JSON instead of the binary definition.
        #[arg(long)]
        json: bool,
    },
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
    #[arg(long, value_name = "NAME=VALUE", value_parser = build_arg)]
    build_arg: Vec<(String, String)>,
}

fn build_arg(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))
}

#[derive(Clone, Copy, ValueEnum)]
enum Target {
    Runtime,
    Debug,
    Builder,
}

/// A spec read from disk, with the name errors show for it.
struct Loaded {
    text: String,
    shown: String,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("shallot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { input, pretty } => {
            let loaded = load(&input.file)?;
            match plan(&input, &loaded, false) {
                Ok(_) => {
                    println!("{}: ok", loaded.shown);
                    Ok(ExitCode::SUCCESS)
                }
                Err(diagnostics) => {
                    if pretty {
                        eprintln!("{}", diagnostics.render(&loaded.text, &loaded.shown));
                    } else {
                        eprintln!("{}", diagnostics.short(&loaded.shown));
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Plan { input } => {
            let loaded = load(&input.file)?;
            let plan = plan(&input, &loaded, false)
                .map_err(|d| anyhow::anyhow!("{}", d.short(&loaded.shown)))?;
            println!("{}", serde_json::to_string_pretty(&plan)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Llb {
            input,
            target,
            json,
        } => {
            let loaded = load(&input.file)?;
            let debug = matches!(target, Target::Debug);
            let plan = plan(&input, &loaded, debug)
                .map_err(|d| anyhow::anyhow!("{}", d.short(&loaded.shown)))?;
            let env = BuildEnv {
                // Without a daemon to ask, runs carry their own PATH.
                needs_default_path: true,
                spec: Some(SourceFile {
                    filename: loaded.shown.clone(),
                    data: loaded.text.clone().into_bytes(),
                    language: "YAML".to_string(),
                }),
                context_name: "context".to_string(),
                ..Default::default()
            };
            let stage = match target {
                Target::Builder => Stage::Builder,
                Target::Runtime | Target::Debug => Stage::Runtime,
            };
            let definition = llb::from_plan(&plan, &env, stage);
            let mut out = std::io::stdout().lock();
            if json {
                let ops = llb::ops_json(&definition);
                writeln!(out, "{}", serde_json::to_string_pretty(&ops)?)?;
            } else {
                if std::io::IsTerminal::is_terminal(&out) {
                    bail!("the definition is binary; pipe it into `buildctl build` or use --json");
                }
                out.write_all(&definition.to_bytes())?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load(file: &Path) -> anyhow::Result<Loaded> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(Loaded {
        text,
        shown: file.display().to_string(),
    })
}

fn plan(input: &Input, loaded: &Loaded, debug: bool) -> Result<Plan, spec::Diagnostics> {
    let mut spec = spec::parse(&loaded.text, &runtimes::names())?;
    if debug {
        spec.debug.value = true;
    }
    let context_dir = input.context.clone().unwrap_or_else(|| {
        input
            .file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    let facts = match runtimes::find(&spec.runtime.value) {
        Some(recipe) => {
            let mut dir = LocalDir::new(context_dir);
            let extra = (recipe.spec_probes)(&spec);
            let read = async {
                let mut facts = gather(&mut dir, recipe.probes).await?;
                gather_headers(&mut dir, &extra, &mut facts).await?;
                Ok::<_, shallot::context::LocalError>(facts)
            };
            match block_on(read) {
                Ok(facts) => facts,
                Err(e) => {
                    return Err(spec::Diagnostics(vec![spec::Diagnostic {
                        span: spec.runtime.span,
                        message: e.to_string(),
                        hint: None,
                    }]));
                }
            }
        }
        None => Default::default(),
    };
    let options = Options {
        builder_image: input.builder_image.clone(),
        runtime_image: input.runtime_image.clone(),
        build_args: input.build_arg.iter().cloned().collect(),
        labels: Default::default(),
    };
    Plan::from_spec(&spec, &facts, &options)
}

/// Runs a future that does no real waiting (local file reads) to completion.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .map(|rt| rt.block_on(future))
        .unwrap_or_else(|e| panic!("cannot start a runtime: {e}"))
}
