//! Capacity and cost: what the stack needs, the smallest instance type that
//! fits it with the headroom the spec asks for, and what each line item costs
//! a month, pay-as-you-go (hours × 730) and by subscription, from the user's
//! price table. Pure: the price table comes in parsed.

mod capacity;
pub mod catalog;
mod cluster;
mod money;
mod prices;
pub mod text;

use serde::Serialize;

pub use capacity::{Budget, Capacity, Shape, budget, capacity};
pub use cluster::{NodeChoice, NodePool};
pub use money::Money;
pub use prices::{Price, PriceTable};

use crate::model::Stack;
use crate::spec::HostMode;

/// Hours a pay-as-you-go month is billed for (Alibaba Cloud's calculator and
/// Infracost both count 730).
pub const HOURS_PER_MONTH: u64 = 730;

/// One priced line.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// What it is: `instance`, `system disk`, `mysql (managed)`, ...
    pub item: String,
    pub sku: String,
    pub quantity: u64,
    /// `instance`, `node` or `GiB`.
    pub unit: &'static str,
    /// The table's entry.
    pub price: Price,
    /// A month, pay-as-you-go: hourly × 730 × quantity (or per GiB × quantity).
    pub pay_as_you_go: Money,
    /// A month, by subscription: monthly × quantity (usage is billed as used).
    pub subscription: Money,
}

/// The two monthly totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Total {
    pub pay_as_you_go: Money,
    pub subscription: Money,
}

impl Total {
    fn of(lines: &[Line]) -> Total {
        lines.iter().fold(Total::default(), |t, l| Total {
            pay_as_you_go: t.pay_as_you_go.plus(l.pay_as_you_go),
            subscription: t.subscription.plus(l.subscription),
        })
    }
}

/// Moving from the host's type to the smallest that fits, when the host does not.
#[derive(Debug, Clone, Serialize)]
pub struct Upgrade {
    pub from: String,
    pub to: String,
    /// What the month costs more (or less), each way.
    pub change: Total,
}

/// The price table a report used.
#[derive(Debug, Clone, Serialize)]
pub struct TableUsed {
    pub file: String,
    pub example: bool,
    pub region: String,
}

/// The capacity and cost report of one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub environment: String,
    pub currency: String,
    pub prices: TableUsed,
    /// The host against what the stack needs (none on ACK: see `nodes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    /// On ACK: the node pool, what its pods ask for, and a cheaper pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<NodePool>,
    pub lines: Vec<Line>,
    pub total: Total,
    pub upgrade: Option<Upgrade>,
    /// What the report leaves out, and why.
    pub notes: Vec<String>,
    /// Where the spec names the table (for diagnostics about it).
    #[serde(skip)]
    pub named_at: Option<crate::error::Origin>,
}

/// Why a report cannot be made from a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No entry for a SKU the stack needs (`why`: which line needs it).
    Missing {
        sku: String,
        why: String,
        example: &'static str,
    },
    /// The entry lacks a field its line needs.
    MissingField { sku: String, field: &'static str },
    /// The table holds for another region.
    Region { table: String, host: String },
}

/// How a SKU is billed.
#[derive(Clone, Copy)]
enum Billing {
    /// By the hour or by the month (`hourly` and `monthly`).
    Rate,
    /// By use (`per_gib`).
    Usage,
}

struct Pricer<'a> {
    table: &'a PriceTable,
    problems: Vec<Problem>,
}

impl Pricer<'_> {
    fn line(
        &mut self,
        item: String,
        sku: String,
        quantity: u64,
        unit: &'static str,
        billing: Billing,
    ) -> Option<Line> {
        let Some(price) = self.table.prices.get(&sku) else {
            let example = match billing {
                Billing::Rate => {
                    "{hourly: ..., monthly: ..., as_of: YYYY-MM-DD, source: https://...}"
                }
                Billing::Usage => "{per_gib: ..., as_of: YYYY-MM-DD, source: https://...}",
            };
            if !self
                .problems
                .iter()
                .any(|p| matches!(p, Problem::Missing { sku: s, .. } if *s == sku))
            {
                self.problems.push(Problem::Missing {
                    sku,
                    why: item,
                    example,
                });
            }
            return None;
        };
        let (payg, subscription) = match billing {
            Billing::Rate => {
                let mut get = |field, value: Option<Money>| {
                    if value.is_none() {
                        self.problems.push(Problem::MissingField {
                            sku: sku.clone(),
                            field,
                        });
                    }
                    value
                };
                let hourly = get("hourly", price.hourly);
                let monthly = get("monthly", price.monthly);
                (
                    hourly?.times(HOURS_PER_MONTH).times(quantity),
                    monthly?.times(quantity),
                )
            }
            Billing::Usage => {
                let Some(per_gib) = price.per_gib else {
                    self.problems.push(Problem::MissingField {
                        sku,
                        field: "per_gib",
                    });
                    return None;
                };
                (per_gib.times(quantity), per_gib.times(quantity))
            }
        };
        Some(Line {
            item,
            sku,
            quantity,
            unit,
            price: price.clone(),
            pay_as_you_go: payg,
            subscription,
        })
    }
}

/// The report of `stack` with the prices of `table` (read from `file`).
pub fn report(
    stack: &Stack,
    cost: &crate::spec::Cost,
    table: &PriceTable,
    file: &str,
) -> Result<Report, Vec<Problem>> {
    let host = &stack.host;
    let mut pricer = Pricer {
        table,
        problems: Vec::new(),
    };
    if table.region != host.region {
        pricer.problems.push(Problem::Region {
            table: table.region.clone(),
            host: host.region.clone(),
        });
    }
    let mut notes = Vec::new();
    let mut lines = match &stack.kubernetes {
        Some(k) => cluster::lines(&mut pricer, stack, k, cost, &mut notes),
        None => host_lines(&mut pricer, stack, cost, &mut notes),
    };
    for (service, m) in crate::model::cloud::managed(stack) {
        let unit = if m.nodes > 1 { "node" } else { "instance" };
        lines.extend(pricer.line(
            format!("{} (managed {})", service.name, service.kind.as_str()),
            m.class.clone(),
            m.nodes,
            unit,
            Billing::Rate,
        ));
        if service.kind != crate::spec::Kind::Redis {
            lines.extend(pricer.line(
                format!("{} storage", service.name),
                format!("storage.{}", service.kind.as_str()),
                m.storage_gib.saturating_mul(m.nodes),
                "GiB",
                Billing::Rate,
            ));
        }
    }
    if let Some(plan) = crate::model::logging::sls(stack) {
        // What each class writes a day: sent once (ingest, 730 hours a month),
        // kept for its retention (storage, at steady state).
        let classes: Vec<_> = plan
            .logstores
            .iter()
            .map(|s| crate::model::logging::class(stack, s.class))
            .collect();
        let sent: u64 = classes.iter().map(|c| c.daily.mib()).sum::<u64>() * HOURS_PER_MONTH;
        let kept: u64 = classes
            .iter()
            .map(|c| c.daily.mib() * u64::from(c.retention_days))
            .sum();
        lines.extend(pricer.line(
            "logs sent to SLS".into(),
            "sls.ingest".into(),
            sent.div_ceil(24 * 1024),
            "GiB",
            Billing::Usage,
        ));
        lines.extend(pricer.line(
            "logs kept in SLS".into(),
            "sls.storage".into(),
            kept.div_ceil(1024),
            "GiB",
            Billing::Usage,
        ));
    }
    let capacity = stack
        .kubernetes
        .is_none()
        .then(|| capacity(stack, cost.headroom));
    let nodes = stack
        .kubernetes
        .as_ref()
        .map(|k| cluster::pool(&pricer, stack, k, cost.headroom, &lines));
    let upgrade = match capacity.as_ref().map(|c| (&c.smallest_fit, c.host_fits)) {
        Some((Some(to), false)) if to.instance_type != host.instance_type => {
            let to_line = pricer.line(
                format!("instance {} (recommended)", to.instance_type),
                to.instance_type.clone(),
                1,
                "instance",
                Billing::Rate,
            );
            let from = lines.first().filter(|l| l.sku == host.instance_type);
            match (from, to_line) {
                (Some(from), Some(to_line)) => Some(Upgrade {
                    from: from.sku.clone(),
                    to: to_line.sku,
                    change: Total {
                        pay_as_you_go: to_line.pay_as_you_go.minus(from.pay_as_you_go),
                        subscription: to_line.subscription.minus(from.subscription),
                    },
                }),
                _ => None,
            }
        }
        Some((None, false)) => {
            notes.push(format!(
                "no c, g or r type of generation {} offers what the stack wants",
                catalog::generation_of(&host.instance_type)
            ));
            None
        }
        _ => None,
    };
    if !pricer.problems.is_empty() {
        return Err(pricer.problems);
    }
    Ok(Report {
        environment: stack.env.clone(),
        currency: table.currency.clone(),
        prices: TableUsed {
            file: file.to_owned(),
            example: table.example,
            region: table.region.clone(),
        },
        total: Total::of(&lines),
        capacity,
        nodes,
        lines,
        upgrade,
        notes,
        named_at: None,
    })
}

/// The host's lines: its instance, disks, and on a new host its elastic IP and traffic.
fn host_lines(
    pricer: &mut Pricer,
    stack: &Stack,
    cost: &crate::spec::Cost,
    notes: &mut Vec<String>,
) -> Vec<Line> {
    let host = &stack.host;
    let mut lines = Vec::new();
    let disk_sku = format!("disk.{}", host.disk_category.as_str());
    let gib = |size: crate::spec::ByteSize| size.mib().div_ceil(1024);
    lines.extend(pricer.line(
        format!("instance {}", host.instance_type),
        host.instance_type.clone(),
        1,
        "instance",
        Billing::Rate,
    ));
    lines.extend(pricer.line(
        "system disk".into(),
        disk_sku.clone(),
        gib(host.disk),
        "GiB",
        Billing::Rate,
    ));
    if let Some(data) = host.data_disk {
        lines.extend(pricer.line(
            "data disk".into(),
            disk_sku,
            gib(data),
            "GiB",
            Billing::Rate,
        ));
    }
    match host.mode {
        HostMode::New => {
            lines.extend(pricer.line("elastic IP".into(), "eip".into(), 1, "instance", Billing::Rate));
            match cost.egress {
                Some(egress) => lines.extend(pricer.line("internet traffic out".into(), "internet.egress".into(), gib(egress), "GiB", Billing::Usage)),
                None => notes.push("no internet traffic is priced: set `cost.egress` to the GiB the host sends out a month".to_owned()),
            }
        }
        HostMode::Existing => notes.push(
            "the existing host's public address and traffic are billed as they are today; they are not the stack's".to_owned(),
        ),
    }
    lines
}
