//! The README documents every variable and is the source of the test command CI runs.

const README: &str = include_str!("../../../README.md");
const CI: &str = include_str!("../../../.ci/run");

#[test]
fn the_readme_documents_every_variable() {
    for (_, variables) in config::variables::GROUPS {
        for variable in *variables {
            assert!(
                README.contains(&format!("`{}`", variable.name)),
                "README.md does not document {}",
                variable.name
            );
        }
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let command = README
        .split("```sh\n")
        .nth(2)
        .and_then(|block| block.lines().next())
        .expect("the README's second code block is the test command");
    assert_eq!(command, "cargo test --workspace");
    assert!(
        CI.lines().any(|line| line.trim() == command),
        ".ci/run must run `{command}`"
    );
    let demo = README.split("```sh\n").nth(1).and_then(|b| b.lines().next()).unwrap();
    assert_eq!(demo, "cargo run -p lookerbot -- demo");
}
