//! The `cost:` section: where the price table is, and what the capacity and
//! cost report assumes (the headroom kept free, the traffic paid by the GiB).

use schemars::JsonSchema;
use serde::Deserialize;

use super::ByteSize;

/// The capacity and cost report (`futurestack cost`, `STACK.md`, `cost.json`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// The price table: a YAML file (its schema is `schema/prices.schema.json`),
    /// relative to the spec file that names it. futurestack has no prices of its
    /// own: every price comes from this table, stamped with its date and source.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._/-]+\.ya?ml$"))]
    pub prices: String,
    /// Percent of the host's vCPUs and memory kept free on top of what the stack
    /// needs, when futurestack looks for the smallest instance type that fits.
    #[serde(default = "Cost::default_headroom")]
    #[schemars(range(min = 0, max = 100))]
    pub headroom: u32,
    /// Internet traffic out of the host per month (the elastic IP is paid by
    /// traffic), for example `50GiB`. Left out: none is priced.
    #[serde(default)]
    pub egress: Option<ByteSize>,
}

impl Cost {
    fn default_headroom() -> u32 {
        20
    }
}
