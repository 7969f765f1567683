//! Amounts of money in millionths of the currency unit: exact sums, the same
//! bytes on every machine, rounded to cents only when shown.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount in millionths of the currency unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(i64);

/// Largest price accepted: 10^9 currency units.
const MAX_UNITS: f64 = 1e9;

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn micros(self) -> i64 {
        self.0
    }

    /// A price read from a table: at most six decimals, not negative, below 10^9.
    pub fn from_price(value: f64) -> Result<Money, String> {
        if !value.is_finite() || value < 0.0 || value >= MAX_UNITS {
            return Err(format!(
                "a price must be between 0 and {MAX_UNITS:e}, found {value}"
            ));
        }
        let micros = (value * 1e6).round();
        if (value * 1e6 - micros).abs() > 1e-3 {
            return Err(format!("a price has at most six decimals, found {value}"));
        }
        Ok(Money(micros as i64))
    }

    /// This amount times a whole quantity (saturating: a hostile table cannot overflow).
    pub fn times(self, quantity: u64) -> Money {
        Money(
            self.0
                .saturating_mul(i64::try_from(quantity).unwrap_or(i64::MAX)),
        )
    }

    pub fn plus(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    pub fn minus(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    /// In cents with its sign always shown: `+569.40`, `-8.05`.
    pub fn signed(self) -> String {
        if self.0 >= 0 {
            format!("+{self}")
        } else {
            self.to_string()
        }
    }

    /// Rounded to cents, half away from zero.
    pub fn cents(self) -> i64 {
        let (q, r) = (self.0 / 10_000, self.0 % 10_000);
        if r >= 5_000 {
            q + 1
        } else if r <= -5_000 {
            q - 1
        } else {
            q
        }
    }
}

impl fmt::Display for Money {
    /// Two decimals: `412.30`, `-8.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.cents();
        let sign = if c < 0 { "-" } else { "" };
        write!(
            f,
            "{sign}{}.{:02}",
            c.unsigned_abs() / 100,
            c.unsigned_abs() % 100
        )
    }
}

impl Serialize for Money {
    /// As the exact decimal (`0.0014`), so a reader can redo the arithmetic.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.exact())
    }
}

impl Money {
    /// The exact decimal, without trailing zeros: `0.0014`, `412`, `-8.05`.
    pub fn exact(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (units, frac) = (abs / 1_000_000, abs % 1_000_000);
        if frac == 0 {
            return format!("{sign}{units}");
        }
        let frac = format!("{frac:06}");
        format!("{sign}{units}.{}", frac.trim_end_matches('0'))
    }
}

impl Money {
    /// Reads what [`Money::exact`] writes (`-8.05`, `412`); `None` for anything
    /// else (a hand-edited or hostile `cost.json`).
    pub fn parse(text: &str) -> Option<Money> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if digits.ends_with('.') {
            return None;
        }
        let (units, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || units.len() > 12 || frac.len() > 6 || !plain(units) || !plain(frac) {
            return None;
        }
        let micros =
            units.parse::<i64>().ok()? * 1_000_000 + format!("{frac:0<6}").parse::<i64>().ok()?;
        Some(Money(if negative { -micros } else { micros }))
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        Money::from_price(value).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "number",
            "minimum": 0,
            "exclusiveMaximum": MAX_UNITS,
            "description": "An amount in the table's currency, with at most six decimals."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact_and_shown_in_cents() {
        let p = Money::from_price(0.0014).unwrap();
        assert_eq!(p.micros(), 1400);
        assert_eq!(p.exact(), "0.0014");
        assert_eq!(p.times(730 * 100).to_string(), "102.20");
        assert_eq!(Money::from_price(0.005).unwrap().to_string(), "0.01");
        assert_eq!(Money::from_price(0.004999).unwrap().to_string(), "0.00");
        assert_eq!(
            Money::ZERO
                .minus(Money::from_price(8.05).unwrap())
                .to_string(),
            "-8.05"
        );
        assert!(Money::from_price(0.0000001).is_err());
        assert!(Money::from_price(-1.0).is_err());
        assert!(Money::from_price(f64::NAN).is_err());
        assert!(Money::from_price(1e12).is_err());
        assert_eq!(
            Money::from_price(5e8).unwrap().times(u64::MAX).micros(),
            i64::MAX
        );
        for m in [
            p,
            p.times(730 * 100),
            Money::ZERO.minus(Money::from_price(8.05).unwrap()),
            Money::ZERO,
        ] {
            assert_eq!(Money::parse(&m.exact()), Some(m));
        }
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1e3",
            "1.0000001",
            "+1",
            "1 ",
            "9999999999999",
        ] {
            assert_eq!(Money::parse(bad), None, "{bad}");
        }
    }
}
