//! Every runtime's example, end to end on a real BuildKit: `docker build -f shallot.yaml`
//! through the frontend under test on the stand-in base images, then the image is run, asked
//! over HTTP and taken apart. One module per row of `support::runtimes`; the checks are in
//! `support::case`. Runtime-specific tests are in `e2e_<runtime>.rs`.

mod support;

use support::*;

runtime_tests!(
    node: NODE,
    python: PYTHON,
    go: GO,
    rust: RUST,
    java: JAVA,
);

// The package manager variants share node's image and debug variant.
runtime_tests!(
    node_yarn: NODE_YARN => [
        example_builds_runs_and_answers_on_its_port,
        image_config_is_set_on_top_of_the_base,
        runtime_image_has_the_app_and_no_shell_or_build_tools,
        source_only_change_keeps_the_dependency_step_cached,
    ],
    node_pnpm: NODE_PNPM => [
        example_builds_runs_and_answers_on_its_port,
        image_config_is_set_on_top_of_the_base,
        runtime_image_has_the_app_and_no_shell_or_build_tools,
        source_only_change_keeps_the_dependency_step_cached,
    ],
    // A prebuilt binary: no builder, so no dependency step to cache.
    static_binary: STATIC => [
        example_builds_runs_and_answers_on_its_port,
        image_config_is_set_on_top_of_the_base,
        runtime_image_has_the_app_and_no_shell_or_build_tools,
    ],
);
