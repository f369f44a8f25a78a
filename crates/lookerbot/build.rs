//! Link flags for the `lookerbot` binary that cut the memory it holds from start-up on (crates/bench/RESULTS.md,
//! idle memory). Only on x86-64 Linux with glibc, where rustc links with its own lld, which knows both flags, and
//! glibc 2.36 or later reads compact relocations.
//!
//! - `-z pack-relative-relocs`: the relocations the dynamic loader applies at every start take 11 KB instead of
//!   525 KB, and those pages stay resident.
//! - `--symbol-ordering-file=startup-order.txt`: the functions that run until the bot is ready and idle are placed
//!   side by side. A page fault maps the pages around it too, so scattered through 15 MB of code they made 9.9 MB
//!   resident. `lookerbot-bench --startup-order` records the list; names the linker does not find are skipped.
fn main() {
    let target = |name: &str| std::env::var(format!("CARGO_CFG_TARGET_{name}")).unwrap_or_default();
    if target("ARCH") == "x86_64" && target("OS") == "linux" && target("ENV") == "gnu" {
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        let order = std::path::Path::new(&manifest_dir).join("startup-order.txt");
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        // Absent in a build of the dependencies alone (the Dockerfile's cargo-chef step).
        if order.exists() {
            // `-Xlinker` passes the path whole, commas and all.
            for arg in [
                "-Xlinker",
                "--symbol-ordering-file",
                "-Xlinker",
                &order.display().to_string(),
            ] {
                println!("cargo:rustc-link-arg-bins={arg}");
            }
            println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=startup-order.txt");
}
