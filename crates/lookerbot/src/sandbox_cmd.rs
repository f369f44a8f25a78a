//! `lookerbot sandbox`: the built-in Looker stand-in, alone, for trying the bot or the API by hand.

use std::process::ExitCode;

use looker_sandbox::{Sandbox, SandboxConfig};

pub async fn run(port: u16) -> anyhow::Result<ExitCode> {
    let sandbox = Sandbox::start(SandboxConfig {
        port,
        ..SandboxConfig::default()
    })
    .await
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "port {port} on 127.0.0.1 is taken (another program, or another sandbox): choose another with \
             --port N, or --port 0 for any free port"
        ),
        _ => anyhow::anyhow!("cannot start the sandbox on port {port}: {e}"),
    })?;
    println!("Looker sandbox running at {}", sandbox.web_url());
    println!();
    println!("  LOOKER_URL={}", sandbox.web_url());
    println!("  LOOKER_API_BASE_URL={}", sandbox.api_url());
    println!("  LOOKER_API_3_CLIENT_ID={}", sandbox.client_id());
    println!("  LOOKER_API_3_CLIENT_SECRET={}", sandbox.client_secret());
    println!(
        "  LOOKER_CUSTOM_COMMAND_FOLDER_ID={}",
        looker_sandbox::content::CUSTOM_COMMAND_FOLDER_ID
    );
    println!();
    println!("Press Ctrl-C to stop.");
    crate::stack::stop_signal().await;
    sandbox.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
