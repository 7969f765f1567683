//! Image lifecycle: every image of every environment against the catalogue in
//! `data/image-lifecycle.tsv` (each release line's end of life and
//! known-vulnerable minimum, with sources). A line past its end of life is
//! FS175 and a patch below the minimum FS176: warnings, and errors in
//! `tier: production` unless the service says why it keeps the image
//! (`accept_image_risk`). Run with the date of the day, which only the
//! command layer reads.

use crate::error::Diagnostic;
use crate::model::Stack;
use crate::spec::Tier;

const CATALOGUE: &str = include_str!("../../data/image-lifecycle.tsv");

/// One release line of the catalogue.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    pub family: &'a str,
    pub line: &'a str,
    pub eol: Option<&'a str>,
    pub min_patch: Option<&'a str>,
    pub source: &'a str,
}

/// The catalogue's rows (comment lines and the header skipped).
pub fn catalogue() -> Vec<Line<'static>> {
    CATALOGUE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("family\t") && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let opt = |s: &'static str| (s != "-").then_some(s);
            match f.as_slice() {
                [family, line, eol, min, source] => Some(Line {
                    family,
                    line,
                    eol: opt(eol),
                    min_patch: opt(min),
                    source,
                }),
                _ => None,
            }
        })
        .collect()
}

/// `(family, version numbers)` of an image reference: `redis:7.4.2-alpine` →
/// `("redis", [7, 4, 2])`; official images may be written `library/x` or
/// `docker.io/library/x`.
pub fn family_and_version(image: &str) -> Option<(&str, Vec<u64>)> {
    let image = image.split('@').next()?;
    // The tag follows the last `:` after the last `/` (a registry port comes before a `/`).
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let colon = slash + image[slash..].find(':')?;
    let (repo, tag) = (&image[..colon], &image[colon + 1..]);
    let repo = repo.strip_prefix("docker.io/").unwrap_or(repo);
    let repo = repo.strip_prefix("library/").unwrap_or(repo);
    // Prometheus and its exporters tag `v3.13.2`.
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let numbers: Vec<u64> = tag
        .split('-')
        .next()?
        .split('.')
        .map_while(|p| p.parse().ok())
        .collect();
    (!numbers.is_empty()).then_some((repo, numbers))
}

/// The catalogue row of `image`'s release line, with its version numbers.
fn row_for<'a>(rows: &'a [Line<'static>], image: &str) -> Option<(&'a Line<'static>, Vec<u64>)> {
    let (family, version) = family_and_version(image)?;
    let row = rows
        .iter()
        .find(|r| r.family == family && version.starts_with(&numbers(r.line)))?;
    Some((row, version))
}

/// Whether `version` is older than `min`. A floating tag (`redis:7.4`) pulls
/// the newest patch, so only a version as precise as `min` can be older.
fn below_minimum(version: &[u64], min: &str) -> bool {
    let min = numbers(min);
    version.len() >= min.len() && version < min.as_slice()
}

fn numbers(text: &str) -> Vec<u64> {
    text.split('.').filter_map(|p| p.parse().ok()).collect()
}

/// Checks every service image of `stacks` on `today` (`YYYY-MM-DD`).
pub fn check(stacks: &[Stack], today: &str) -> Vec<Diagnostic> {
    let rows = catalogue();
    let mut diags = Vec::new();
    for stack in stacks {
        let production = stack.tier == Tier::Production;
        for service in stack.services.iter().filter(|s| !s.external) {
            let Some(image) = service.image.as_deref() else {
                continue;
            };
            let Some((row, version)) = row_for(&rows, image) else {
                continue;
            };
            let family = row.family;
            let accepted = service.accept_image_risk.is_some();
            let severity = |code, message: String| {
                if production && !accepted {
                    Diagnostic::error(code, message)
                } else {
                    Diagnostic::warning(code, message)
                }
            };
            let at = stack
                .origins
                .get(&format!("/services/{}/image", service.name))
                .cloned();
            if let Some(eol) = row.eol.filter(|eol| *eol < today) {
                diags.push(
                    severity("FS175", format!("image `{image}` of `{}` in `{}`: {family} {} reached its end of life on {eol}", service.name, stack.env, row.line))
                        .at_opt(at.clone())
                        .with_help(format!("move to a maintained release line ({}), or say why in `accept_image_risk`", row.source)),
                );
            }
            if let Some(min) = row.min_patch.filter(|min| below_minimum(&version, min)) {
                diags.push(
                    severity("FS176", format!("image `{image}` of `{}` in `{}` is older than {family} {min}, the first {} release without a known critical vulnerability", service.name, stack.env, row.line))
                        .at_opt(at)
                        .with_help(format!("pin {min} or later ({}), or say why in `accept_image_risk`", row.source)),
                );
            }
        }
    }
    diags
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub fn date_of(days_since_epoch: i64) -> String {
    let z = days_since_epoch + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days from 1970-01-01 to `YYYY-MM-DD` (Hinnant's `days_from_civil`), for
/// dates of the form the schemas allow; `None` for a day that does not exist.
pub fn days_of(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (date_of(days) == date).then_some(days)
}

/// Prices older than this are reported (FS182): list prices move within a year.
pub const PRICE_MAX_AGE_DAYS: i64 = 180;

/// FS182: the prices a cost report uses are old, from the future, or not a day.
pub fn prices(stacks: &[Stack], today: &str) -> Vec<Diagnostic> {
    let Some(now) = days_of(today) else {
        return Vec::new();
    };
    let mut diags = Vec::new();
    for stack in stacks {
        let Some(report) = &stack.cost else { continue };
        let mut dates: Vec<&str> = report
            .lines
            .iter()
            .map(|l| l.price.as_of.as_str())
            .collect();
        dates.sort_unstable();
        dates.dedup();
        let bad: Vec<&str> = dates
            .iter()
            .copied()
            .filter(|d| days_of(d).is_none())
            .collect();
        let oldest = dates
            .iter()
            .filter_map(|d| days_of(d).map(|n| (n, *d)))
            .min();
        let newest = dates
            .iter()
            .filter_map(|d| days_of(d).map(|n| (n, *d)))
            .max();
        let file = &report.prices.file;
        let mut push = |message: String, help: &str| {
            diags.push(
                Diagnostic::warning("FS182", message)
                    .at_opt(report.named_at.clone())
                    .with_help(help.to_owned()),
            );
        };
        if !bad.is_empty() {
            push(
                format!(
                    "`{file}` has prices `as_of` days that do not exist: {}",
                    bad.join(", ")
                ),
                "write `as_of` as the day the price was read, `YYYY-MM-DD`",
            );
        }
        if let Some((n, d)) = oldest.filter(|(n, _)| now - n > PRICE_MAX_AGE_DAYS) {
            push(
                format!(
                    "prices in `{file}` date from {d}, {} days before {today}",
                    now - n
                ),
                "read the prices again and update `as_of`: the report of `futurestack cost` is only as current as its table",
            );
        }
        if let Some((_, d)) = newest.filter(|(n, _)| *n > now) {
            push(
                format!("prices in `{file}` are `as_of` {d}, after {today}"),
                "`as_of` is the day a price was read, not the day it takes effect",
            );
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_round_trip() {
        for days in [-1, 0, 59, 60, 11_016, 20_429, 20_794] {
            assert_eq!(days_of(&date_of(days)), Some(days));
        }
        assert_eq!(days_of("2026-12-07"), Some(20_794));
        assert_eq!(days_of("2026-02-30"), None);
        assert_eq!(days_of("2026-13-01"), None);
        assert_eq!(days_of("yesterday"), None);
    }

    #[test]
    fn the_catalogue_parses_and_every_row_has_a_source() {
        let rows = catalogue();
        assert!(rows.len() >= 15, "{}", rows.len());
        for r in &rows {
            assert!(r.source.len() > 20, "{r:?}");
            if let Some(eol) = r.eol {
                assert!(eol.len() == 10 && eol.as_bytes()[4] == b'-', "{r:?}");
            }
        }
    }

    #[test]
    fn images_are_read_as_family_and_version() {
        assert_eq!(
            family_and_version("redis:7.4.2-alpine"),
            Some(("redis", vec![7, 4, 2]))
        );
        assert_eq!(
            family_and_version("docker.io/library/mysql:8.0.40"),
            Some(("mysql", vec![8, 0, 40]))
        );
        assert_eq!(
            family_and_version("registry.example.com/x/api:1.0.0").map(|f| f.0),
            Some("registry.example.com/x/api")
        );
        assert_eq!(
            family_and_version("prom/prometheus:v2.53.3"),
            Some(("prom/prometheus", vec![2, 53, 3]))
        );
        assert_eq!(family_and_version("redis@sha256:abc"), None);
        assert_eq!(family_and_version("postgres:latest"), None);
    }

    #[test]
    fn the_images_futurestack_chooses_are_supported() {
        let rows = catalogue();
        let today = "2026-12-06";
        let mut judged = Vec::new();
        use crate::spec::Kind;
        let added = [
            Kind::Prometheus,
            Kind::Alertmanager,
            Kind::Grafana,
            Kind::Nginx,
        ];
        for kind in Kind::ALL.into_iter().chain(added) {
            let Some(image) = crate::model::kinds::info(kind).default_image else {
                continue;
            };
            let Some((row, version)) = row_for(&rows, image) else {
                continue;
            };
            assert!(row.eol.is_none_or(|eol| eol >= today), "{image}: {row:?}");
            assert!(
                row.min_patch.is_none_or(|m| !below_minimum(&version, m)),
                "{image}"
            );
            judged.push(row.family);
        }
        // The databases, the cache, the search engine and Prometheus have rows.
        for family in [
            "mysql",
            "postgres",
            "redis",
            "elasticsearch",
            "prom/prometheus",
        ] {
            assert!(judged.contains(&family), "{family}: {judged:?}");
        }
        // Guard: the Prometheus default before 3.13 is past its end of life.
        let (old, _) = row_for(&rows, "prom/prometheus:v2.53.3").unwrap();
        assert!(old.eol.is_some_and(|eol| eol < today), "{old:?}");
    }

    #[test]
    fn only_a_full_version_is_below_the_minimum() {
        assert!(below_minimum(&[7, 4, 2], "7.4.6"));
        assert!(
            !below_minimum(&[7, 4], "7.4.6"),
            "a floating 7.4 pulls the newest patch"
        );
        assert!(!below_minimum(&[7, 4, 6], "7.4.6"));
        assert!(!below_minimum(&[7, 4, 10], "7.4.6"));
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(20_786), "2026-11-29");
        assert_eq!(date_of(11_016), "2000-02-29");
    }
}
