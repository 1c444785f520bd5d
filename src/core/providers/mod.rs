//! Every batch API behind one client: the table of providers (name, base URL, key variable,
//! limits, quirks) and, per API family, one module that knows its paths, its request shapes and
//! how its answers map onto our model.
//!
//! Adding an OpenAI-compatible host is a row in [`PROVIDERS`]; adding an API family is one module
//! implementing [`Api`] and its rows.

pub mod api;
pub mod openai;

pub use api::{unsupported, Api, Cx, Limits, LineFormat, Paging, Provider, ResultsAt};

use super::config::{Auth, Config, Defaults, Dialect, Options, Runtime};
use super::error::{Error, Result};
use super::json::Out;

/// The provider named `name`.
pub fn find(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// The names, for messages.
pub fn names() -> String {
    let names: Vec<String> = PROVIDERS.iter().map(|p| format!("\"{}\"", p.name)).collect();
    names.join(", ")
}

/// A provider and a client's settings for it.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The provider.
    pub provider: &'static Provider,
    /// The settings.
    pub config: Config,
}

impl Setup {
    /// The provider the options name (OpenAI by default) and the client's settings for it.
    pub fn new(options: Options, runtime: Runtime) -> Result<Self> {
        let (provider, config) = configure(options, runtime)?;
        Ok(Setup { provider, config })
    }

    /// Both, borrowed, as the API families take them.
    pub fn cx(&self) -> Cx<'_> {
        Cx { provider: self.provider, config: &self.config }
    }
}

/// The provider the options name (OpenAI by default) and the client's settings for it.
pub fn configure(options: Options, runtime: Runtime) -> Result<(&'static Provider, Config)> {
    let provider = match options.provider.as_deref() {
        None => find("openai"),
        Some(name) => find(name),
    };
    let provider = provider.ok_or_else(|| {
        Error::invalid_argument(format!(
            "`provider` must be one of {}, got {:?}",
            names(),
            options.provider.as_deref().unwrap_or_default()
        ))
    })?;
    let defaults = Defaults {
        label: provider.label,
        base_url: provider.base_url,
        auth: provider.auth,
        top_level_counts: provider.top_level_counts,
        dialect: provider.dialect,
    };
    Ok((provider, Config::new(options, &defaults, runtime)?))
}

/// The table as JSON, for the package's `PROVIDERS` export (the CLI and `www/` read it).
pub fn table_json() -> String {
    let mut out = Out::default();
    out.byte(b'[');
    for (i, p) in PROVIDERS.iter().enumerate() {
        if i > 0 {
            out.byte(b',');
        }
        let mut o = super::json::Object::begin(&mut out);
        for (key, value) in [
            ("name", p.name),
            ("label", p.label),
            ("baseURL", p.base_url),
            ("keyEnv", p.key_env),
            ("purpose", p.purpose),
            ("notes", p.notes),
            ("docs", p.docs),
        ] {
            o.key(&mut out, key);
            out.string(value);
        }
        o.key(&mut out, "auth");
        out.string(match p.auth {
            Auth::Bearer => "Authorization: Bearer",
            Auth::ApiKeyHeader => "api-key",
            Auth::Anthropic => "x-api-key",
            Auth::Google => "x-goog-api-key",
        });
        o.key(&mut out, "maxRequests");
        match p.limits.max_requests {
            Some(n) => out.u64(u64::from(n)),
            None => out.null(),
        }
        o.key(&mut out, "maxBytes");
        match p.limits.max_bytes {
            Some(n) => out.u64(n),
            None => out.null(),
        }
        o.key(&mut out, "windows");
        let mut windows = super::json::Array::begin(&mut out);
        for w in p.limits.windows {
            windows.next(&mut out);
            out.string(w);
        }
        windows.end(&mut out);
        o.key(&mut out, "metadata");
        out.bool(p.limits.metadata_pairs > 0);
        o.key(&mut out, "files");
        out.bool(p.api.uses_files());
        o.end(&mut out);
    }
    out.byte(b']');
    String::from_utf8(out.into_parts().0).unwrap_or_default()
}

const MB: u64 = 1_000_000;

/// Every provider. OpenAI first: the default.
pub static PROVIDERS: &[Provider] = &[
    Provider {
        name: "openai",
        label: "OpenAI",
        base_url: "https://api.openai.com/v1",
        key_env: "OPENAI_API_KEY",
        auth: Auth::Bearer,
        api: &openai::OpenAi,
        limits: Limits {
            max_requests: Some(50_000),
            max_bytes: Some(200 * MB),
            windows: &["24h"],
            metadata_pairs: 16,
        },
        top_level_counts: false,
        dialect: Dialect::Auto,
        paging: Paging::After,
        lines: LineFormat::OpenAi,
        purpose: "batch",
        notes: "the reference shape; `model` and `usage` on batches created since September 2025",
        docs: "https://platform.openai.com/docs/api-reference/batch",
    },
    Provider {
        name: "ppinfra",
        label: "PPInfra",
        base_url: "https://api.ppinfra.com/openai/v1",
        key_env: "PPINFRA_API_KEY",
        auth: Auth::Bearer,
        api: &openai::OpenAi,
        // No documented limits. The API reference fixes the window at 48h (its guides say 24h):
        // none is sent, and the batch says which applied.
        limits: Limits { max_requests: None, max_bytes: None, windows: &[], metadata_pairs: 16 },
        top_level_counts: true,
        dialect: Dialect::PpInfra,
        paging: Paging::After,
        lines: LineFormat::OpenAi,
        purpose: "batch",
        notes: "upper-case statuses (`PROGRESS` is in_progress), counts at the top level, `errors` as one string, string `created_at`, `{}` for unset times",
        docs: "https://resource.ppio.com/docs/model/llm-batch-api",
    },
    Provider {
        name: "token360",
        label: "token360",
        base_url: "https://api.token360.ai/v1",
        key_env: "TOKEN360_API_KEY",
        auth: Auth::Bearer,
        api: &openai::OpenAi,
        limits: Limits { max_requests: None, max_bytes: Some(200 * MB), windows: &["24h"], metadata_pairs: 16 },
        top_level_counts: false,
        dialect: Dialect::Token360,
        paging: Paging::After,
        lines: LineFormat::OpenAi,
        purpose: "batch",
        notes: "unset times are left out; only `/v1/chat/completions` and `24h`; one model per file; `callback_url` on create",
        docs: "https://www.token360.ai/zh-CN/docs/api-%E5%8F%82%E8%80%83/%E6%89%B9%E9%87%8F%E4%BB%BB%E5%8A%A1/%E5%88%9B%E5%BB%BA-batch",
    },
];
