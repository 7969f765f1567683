//! Small value types of the spec: sizes such as `512MiB` and environment values.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

/// A size in mebibytes, written `512MiB` or `8GiB` in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize {
    mib: u64,
}

pub const BYTE_SIZE_PATTERN: &str = r"^[1-9][0-9]{0,6}(MiB|GiB)$";

impl ByteSize {
    pub const fn from_mib(mib: u64) -> Self {
        ByteSize { mib }
    }

    pub fn mib(self) -> u64 {
        self.mib
    }

    /// Docker's notation: `2g` when whole gibibytes, else `512m`.
    pub fn docker(self) -> String {
        if self.mib % 1024 == 0 {
            format!("{}g", self.mib / 1024)
        } else {
            format!("{}m", self.mib)
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (digits, factor) = if let Some(d) = text.strip_suffix("GiB") {
            (d, 1024)
        } else if let Some(d) = text.strip_suffix("MiB") {
            (d, 1)
        } else {
            return None;
        };
        if digits.is_empty()
            || digits.len() > 7
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        digits
            .parse::<u64>()
            .ok()
            .map(|n| ByteSize { mib: n * factor })
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mib % 1024 == 0 {
            write!(f, "{}GiB", self.mib / 1024)
        } else {
            write!(f, "{}MiB", self.mib)
        }
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ByteSize::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a size; write it like `512MiB` or `8GiB`"
            ))
        })
    }
}

impl JsonSchema for ByteSize {
    fn schema_name() -> Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": BYTE_SIZE_PATTERN,
            "description": "A size in mebibytes or gibibytes, for example `512MiB` or `8GiB`.",
            "examples": ["512MiB", "8GiB"]
        })
    }
}

/// A duration written like `15s`, `5m`, `2h` or `15d` (Prometheus notation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: u64,
}

pub const DURATION_PATTERN: &str = r"^[1-9][0-9]{0,5}(s|m|h|d)$";

impl Duration {
    pub const fn from_seconds(seconds: u64) -> Self {
        Duration { seconds }
    }

    pub fn seconds(self) -> u64 {
        self.seconds
    }

    pub fn parse(text: &str) -> Option<Self> {
        let unit = text.chars().last()?;
        let factor = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return None,
        };
        let digits = &text[..text.len() - 1];
        if digits.is_empty()
            || digits.len() > 6
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        digits
            .parse::<u64>()
            .ok()
            .map(|n| n * factor)
            .filter(|s| *s <= Self::MAX_SECONDS)
            .map(|seconds| Duration { seconds })
    }

    /// The longest duration Prometheus and Alertmanager read: Go's
    /// `time.Duration` counts nanoseconds in an `int64` (about 292 years).
    pub const MAX_SECONDS: u64 = (i64::MAX / 1_000_000_000) as u64;
}

impl fmt::Display for Duration {
    /// The largest whole unit: `90s`, `5m`, `2h`, `15d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        if s % 86400 == 0 {
            write!(f, "{}d", s / 86400)
        } else if s % 3600 == 0 {
            write!(f, "{}h", s / 3600)
        } else if s % 60 == 0 {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Duration::parse(&text).ok_or_else(|| {
            let too_long = text.len() > 1
                && text[..text.len() - 1].bytes().all(|b| b.is_ascii_digit())
                && "smhd".contains(&text[text.len() - 1..]);
            serde::de::Error::custom(if too_long {
                format!(
                    "`{text}` is longer than Prometheus accepts; the most is {}d",
                    Duration::MAX_SECONDS / 86400
                )
            } else {
                format!("`{text}` is not a duration; write it like `15s`, `5m` or `2h`")
            })
        })
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration such as `15s`, `5m`, `2h` or `15d`.",
            "examples": ["15s", "5m"]
        })
    }
}

/// The value of a plain environment variable: written as a string, number or boolean,
/// always passed to the container as a string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvValue(pub String);

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_owned()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number", "boolean"],
            "description": "A plain value, passed to the container as a string."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(ByteSize::parse("512MiB"), Some(ByteSize::from_mib(512)));
        assert_eq!(ByteSize::parse("8GiB"), Some(ByteSize::from_mib(8192)));
        for bad in [
            "",
            "GiB",
            "08GiB",
            "1.5GiB",
            "8G",
            "8 GiB",
            "-1MiB",
            "99999999GiB",
        ] {
            assert_eq!(ByteSize::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn docker_notation() {
        assert_eq!(ByteSize::from_mib(2048).docker(), "2g");
        assert_eq!(ByteSize::from_mib(1536).docker(), "1536m");
        assert_eq!(ByteSize::from_mib(1536).to_string(), "1536MiB");
    }
}
