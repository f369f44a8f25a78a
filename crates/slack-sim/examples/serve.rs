//! Runs the simulator on its own (for the demo or manual poking) until Ctrl-C.
//!
//! `cargo run -p slack-sim --example serve -- [port]`

use slack_sim::{SimConfig, SlackSim};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(port) => port
            .parse()
            .map_err(|e| std::io::Error::other(format!("port {port:?}: {e}")))?,
        None => 0,
    };
    let sim = SlackSim::start(SimConfig {
        port,
        ..SimConfig::default()
    })
    .await?;
    println!(
        "slack-sim Web API at {}  (bot token {}, app token {})",
        sim.api_url(),
        sim.bot_token(),
        sim.app_token()
    );
    tokio::signal::ctrl_c().await?;
    println!(
        "{} Web API calls, {} messages recorded",
        sim.calls().len(),
        sim.messages().len()
    );
    sim.shutdown().await;
    Ok(())
}
