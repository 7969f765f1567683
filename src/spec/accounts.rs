//! Per-app database accounts: each app that uses a database logs in with its
//! own user and password, limited to its own database or indices.

use schemars::JsonSchema;
use serde::Deserialize;

/// The account an app gets on a database (`accounts: {<app>: {...}}` on a
/// `mysql`, `postgres` or `elasticsearch` service). Its user is the app's name
/// with `-` as `_` (`ai-recommend` → `ai_recommend`). A job futurestack adds
/// (`<database>-accounts`) creates or updates it at every deploy, and the app's
/// connection variables name it instead of the database's shared user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The secret holding the account's password (letters, digits, `_` and `-`:
    /// the job refuses anything else before it reaches SQL or JSON).
    pub password: String,
    /// For `mysql` and `postgres`: the only database the account may use, made
    /// by the job when missing (the account owns it on PostgreSQL; it gets all
    /// privileges on it, and nothing else, on MySQL). Defaults to the user name.
    #[serde(default)]
    pub database: Option<String>,
    /// For `elasticsearch`: the only index patterns the account may use (all
    /// privileges on them, none on the cluster). Defaults to `<app>-*`.
    #[serde(default)]
    pub indices: Option<Vec<String>>,
}
