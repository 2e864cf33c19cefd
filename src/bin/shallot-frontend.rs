//! `shallot-frontend`: the entrypoint of the frontend image. BuildKit starts it and talks to it
//! over stdin/stdout; see `shallot::gateway`.

use shallot::gateway::{self, Invocation};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::io::stdin().is_terminal() {
        eprintln!(
            "shallot-frontend is started by BuildKit, not by hand: put `# syntax=<this image>` \
             on the first line of shallot.yaml and run `docker build -f shallot.yaml .`, or use \
             the `shallot` command to check a spec"
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("shallot-frontend: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let invocation = Invocation::from_env(std::env::vars());
    let outcome = runtime.block_on(async {
        let stream = gateway::stdio().map_err(|e| anyhow::anyhow!("cannot open stdio: {e}"))?;
        gateway::serve(stream, invocation).await?;
        anyhow::Ok(())
    });
    match outcome {
        // Exit at once: BuildKit waits for the process to end before it takes the answer.
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!(
                "shallot-frontend: {}",
                shallot::spec::safe(&format!("{e:#}"))
            );
            std::process::exit(1)
        }
    }
}
