//! The targets of the performance issues, one row each: what was measured, against what, and how fast the machine
//! was just before (the speed check), so that a row measured in one of this machine's slow spells shows it.

use std::time::Duration;

/// One measured target.
#[derive(Debug, Clone)]
pub struct Row {
    pub measure: String,
    pub target: &'static str,
    /// The figure, with what it is made of.
    pub measured: String,
    /// `None` when the target has no pass mark here (a figure reported for comparison) or was skipped.
    pub met: Option<bool>,
    /// The speed check taken before the phase ([`crate::speed::reference`]).
    pub speed: Duration,
}

/// The rows in the order they were measured.
#[derive(Debug, Default)]
pub struct Targets {
    pub rows: Vec<Row>,
}

impl Targets {
    pub fn add(
        &mut self,
        measure: impl Into<String>,
        target: &'static str,
        measured: String,
        met: Option<bool>,
        speed: Duration,
    ) {
        self.rows.push(Row {
            measure: measure.into(),
            target,
            measured,
            met,
            speed,
        });
    }
}

/// Milliseconds to two decimals, for the CPU figures.
pub fn cpu_ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
