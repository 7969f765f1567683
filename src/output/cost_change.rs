//! How a spec edit changes the monthly cost: the committed and the new
//! `cost.json` of each environment, compared for `check` and `diff`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Change;
use crate::cost::Money;

/// How an environment's monthly cost changes (from its `cost.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostChange {
    pub currency: String,
    /// `None` when the report is new.
    pub old: Option<[String; 2]>,
    /// Pay-as-you-go and subscription, a month.
    pub new: [String; 2],
    pub change: [String; 2],
}

/// The totals of a `cost.json`: pay-as-you-go and subscription. `None` for a
/// file that is not one futurestack writes (the old file comes from a pull
/// request: it is parsed, never trusted).
fn cost_totals(text: &str) -> Option<(String, [Money; 2])> {
    #[derive(serde::Deserialize)]
    struct File {
        currency: String,
        total: Totals,
    }
    #[derive(serde::Deserialize)]
    struct Totals {
        pay_as_you_go: String,
        subscription: String,
    }
    let file: File = serde_json::from_str(text).ok()?;
    let currency_ok =
        file.currency.len() == 3 && file.currency.bytes().all(|b| b.is_ascii_uppercase());
    Some((
        currency_ok.then_some(file.currency)?,
        [
            Money::parse(&file.total.pay_as_you_go)?,
            Money::parse(&file.total.subscription)?,
        ],
    ))
}

/// The cost change of every environment whose `cost.json` changes.
pub(super) fn cost_changes(changes: &[Change]) -> BTreeMap<String, CostChange> {
    let mut out = BTreeMap::new();
    for change in changes {
        let (old, new) = match change {
            Change::Changed { old, new, .. } => (Some(old.as_str()), new.as_str()),
            Change::Added { new, .. } => (None, new.as_str()),
            Change::Orphan { .. } => continue,
        };
        if !change
            .path()
            .ends_with(&format!("/{}/cost.json", change.env()))
        {
            continue;
        }
        let Some((currency, new)) = cost_totals(new) else {
            continue;
        };
        let old = old
            .and_then(cost_totals)
            .filter(|(c, _)| *c == currency)
            .map(|(_, t)| t);
        if old == Some(new) {
            continue;
        }
        let before = old.unwrap_or([Money::ZERO; 2]);
        out.insert(
            change.env().to_owned(),
            CostChange {
                currency,
                old: old.map(|o| o.map(|m| m.to_string())),
                new: new.map(|m| m.to_string()),
                change: [
                    new[0].minus(before[0]).signed(),
                    new[1].minus(before[1]).signed(),
                ],
            },
        );
    }
    out
}

/// The closing summary's line for a cost change.
pub(super) fn cost_line(env: &str, c: &CostChange) -> String {
    let was = |i: usize| c.old.as_ref().map_or("none".to_owned(), |o| o[i].clone());
    format!(
        "{env}: monthly cost {} -> {} {} pay-as-you-go ({}), {} -> {} by subscription ({})\n",
        was(0),
        c.new[0],
        c.currency,
        c.change[0],
        was(1),
        c.new[1],
        c.change[1]
    )
}
