//! The price table a user supplies (`cost.prices`): prices by SKU, each stamped
//! with the day it was read and where. futurestack ships no prices; the
//! example table in `prices/` says it is one, and every report repeats it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Money;

/// A price table: what the resources of one region cost, in one currency.
///
/// SKUs: `ecs.<family>.<size>` (an instance), `disk.<category>` (per GiB of
/// cloud disk), `eip` (an elastic IP paid by traffic), `internet.egress` (per
/// GiB out), a managed service's class (`rds.mysql.s2.large`,
/// `redis.master.small.default`, ...), `storage.<kind>` (per GiB of a managed
/// database's storage), `sls.storage` and `sls.ingest` (per GiB of logs);
/// on ACK `cs.ack.pro.small` (the cluster's fee) and `nat.gateway`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// `true` for a table shipped as an example: its prices are not a quote,
    /// and every report says so.
    #[serde(default)]
    pub example: bool,
    /// The currency of every price (ISO 4217), for example `CNY`.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
    /// The region the prices hold for, for example `cn-hangzhou`: it must be the
    /// host's.
    #[schemars(regex(pattern = r"^[a-z]{2}-[a-z0-9-]+$"))]
    pub region: String,
    /// Prices by SKU.
    #[schemars(extend("propertyNames" = {"pattern": "^[a-z0-9][a-z0-9._-]{0,99}$"}))]
    pub prices: BTreeMap<Sku, Price>,
}

/// A SKU: lowercase letters, digits, `.`, `_` and `-`.
pub type Sku = String;

/// What one unit of a SKU costs.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Pay-as-you-go, per unit and hour (a month counts 730 hours).
    #[serde(default)]
    pub hourly: Option<Money>,
    /// Subscription, per unit and month.
    #[serde(default)]
    pub monthly: Option<Money>,
    /// Usage, per GiB (traffic out, logs written or stored per month).
    #[serde(default)]
    pub per_gib: Option<Money>,
    /// The day this price was read, `YYYY-MM-DD`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub as_of: String,
    /// Where it was read: the price page or calculator.
    #[schemars(regex(pattern = r"^https://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,300}$"))]
    pub source: String,
}
