//! Every batch API behind one client: the table of providers (name, base URL, key variable,
//! limits, quirks) and, per API family, one module that knows its paths, its request shapes and
//! how its answers map onto our model.
//!
//! Adding an OpenAI-compatible host is a row in [`PROVIDERS`]; adding an API family is one module
//! implementing [`Api`] and its rows.

pub mod anthropic;
pub mod api;
pub mod gemini;
pub mod mistral;
pub mod openai;
pub mod together;

pub use api::{unsupported, Api, Cx, IdRule, Limits, LineFormat, Paging, Provider, ResultsAt};

use super::config::{Auth, Config, Defaults, Dialect, Options, Runtime};
use super::error::{Error, Result};
use super::json::Out;
use super::text::Quoted;

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
            "`provider` must be one of {}, got {}",
            names(),
            Quoted(options.provider.as_deref().unwrap_or_default())
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

/// An OpenAI-compatible host: the OpenAI family with its own name, URL, key variable and limits.
#[allow(clippy::too_many_arguments)]
const fn compatible(
    name: &'static str,
    label: &'static str,
    base_url: &'static str,
    key_env: &'static str,
    limits: Limits,
    notes: &'static str,
    docs: &'static str,
) -> Provider {
    Provider {
        name,
        label,
        base_url,
        key_env,
        auth: Auth::Bearer,
        api: &openai::OpenAi,
        limits,
        top_level_counts: false,
        dialect: Dialect::Auto,
        paging: Paging::After,
        lines: LineFormat::OpenAi,
        custom_ids: IdRule::Any,
        one_model: true,
        purpose: "batch",
        notes,
        docs,
    }
}

const fn limits(
    max_requests: Option<u32>,
    max_bytes: Option<u64>,
    windows: &'static [&'static str],
    metadata_pairs: u8,
) -> Limits {
    Limits { max_requests, max_bytes, windows, metadata_pairs }
}

/// Every provider. OpenAI first: the default.
pub static PROVIDERS: &[Provider] = &[
    compatible(
        "openai",
        "OpenAI",
        "https://api.openai.com/v1",
        "OPENAI_API_KEY",
        limits(Some(50_000), Some(200 * MB), &["24h"], 16),
        "the reference shape; `model` and `usage` on batches created since September 2025",
        "https://platform.openai.com/docs/api-reference/batch",
    ),
    Provider {
        auth: Auth::ApiKeyHeader,
        ..compatible(
            "azure",
            "Azure OpenAI",
            "",
            "AZURE_OPENAI_API_KEY",
            limits(Some(100_000), Some(200 * MB), &["24h"], 16),
            "`api-key` header; `baseURL` is your resource (`https://RESOURCE.openai.azure.com/openai/v1`, or with `apiVersion` the dated API under `/openai`); `body.model` is the Global Batch deployment, the same on every line; an upload is `pending` until processed (submit waits for it)",
            "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/batch",
        )
    },
    Provider {
        name: "anthropic",
        label: "Anthropic",
        base_url: "https://api.anthropic.com/v1",
        key_env: "ANTHROPIC_API_KEY",
        auth: Auth::Anthropic,
        api: &anthropic::Anthropic,
        limits: limits(Some(100_000), Some(256 * MB), &["24h"], 0),
        top_level_counts: false,
        dialect: Dialect::Auto,
        paging: Paging::After,
        lines: LineFormat::Params,
        custom_ids: IdRule::Word64,
        one_model: false,
        purpose: "",
        notes: "requests inline (no files; url `/v1/messages`); `processing_status` and the five counts pass through; results from `results_url`; no metadata, so an ambiguous create is never resent",
        docs: "https://docs.anthropic.com/en/docs/build-with-claude/batch-processing",
    },
    Provider {
        name: "mistral",
        label: "Mistral",
        base_url: "https://api.mistral.ai/v1",
        key_env: "MISTRAL_API_KEY",
        auth: Auth::Bearer,
        api: &mistral::Mistral,
        limits: limits(Some(100_000), Some(512 * MB), &["24h", "48h", "72h", "168h"], 16),
        top_level_counts: false,
        dialect: Dialect::Auto,
        paging: Paging::Page,
        lines: LineFormat::Body,
        custom_ids: IdRule::Any,
        one_model: true,
        purpose: "batch",
        notes: "`/batch/jobs`: `input_files`, `output_file`, `*_requests` counts, upper-case statuses; `completion_window` becomes `timeout_hours`; lines `{ custom_id, body }`; pages by number (`page` from 0)",
        docs: "https://docs.mistral.ai/capabilities/batch/",
    },
    Provider {
        name: "gemini",
        label: "Gemini",
        base_url: "https://generativelanguage.googleapis.com",
        key_env: "GEMINI_API_KEY",
        auth: Auth::Google,
        api: &gemini::Gemini,
        limits: limits(None, Some(2_000 * MB), &[], 0),
        top_level_counts: false,
        dialect: Dialect::Auto,
        paging: Paging::Page,
        lines: LineFormat::KeyRequest,
        custom_ids: IdRule::Any,
        one_model: false,
        purpose: "batch",
        notes: "the native Batch Mode: endpoint `/v1beta/models/MODEL:generateContent`, bodies are GenerateContentRequests, lines `{ key, request }`; batches are operations (`metadata` as sent, id without `batches/`); resumable upload; expires after 48 h; the marker rides in `displayName`",
        docs: "https://ai.google.dev/gemini-api/docs/batch-mode",
    },
    Provider {
        name: "together",
        label: "Together",
        base_url: "https://api.together.ai/v1",
        key_env: "TOGETHER_API_KEY",
        auth: Auth::Bearer,
        api: &together::Together,
        limits: limits(Some(50_000), Some(100 * MB), &["24h"], 0),
        top_level_counts: false,
        dialect: Dialect::Auto,
        paging: Paging::None,
        lines: LineFormat::Body,
        custom_ids: IdRule::Max(64),
        one_model: false,
        purpose: "batch-api",
        notes: "create answers `{ job, warning }`; upper-case statuses, RFC 3339 times, `progress` (a percentage) instead of counts, `error` as one string; the list is every batch at once; lines `{ custom_id, body }`; no metadata",
        docs: "https://docs.together.ai/docs/batch-inference",
    },
    Provider {
        paging: Paging::Cursor,
        ..compatible(
            "groq",
            "Groq",
            "https://api.groq.com/openai/v1",
            "GROQ_API_KEY",
            limits(Some(50_000), Some(100 * MB), &["24h", "48h", "72h", "7d"], 16),
            "the OpenAI shape; lists page by `paging.next_cursor` (no `after`); `errors` may be a bare array; windows 24h to 7d",
            "https://console.groq.com/docs/batch",
        )
    },
    Provider {
        top_level_counts: true,
        dialect: Dialect::PpInfra,
        ..compatible(
            "ppinfra",
            "PPInfra",
            "https://api.ppinfra.com/openai/v1",
            "PPINFRA_API_KEY",
            limits(None, None, &[], 16),
            "upper-case statuses (`PROGRESS` is in_progress), counts at the top level, `errors` as one string, string `created_at`, `{}` for unset times; the window is fixed (48h by its API reference), so none is sent",
            "https://resource.ppio.com/docs/model/llm-batch-api",
        )
    },
    Provider {
        top_level_counts: true,
        dialect: Dialect::PpInfra,
        ..compatible(
            "novita",
            "Novita",
            "https://api.novita.ai/openai/v1",
            "NOVITA_API_KEY",
            limits(None, None, &[], 16),
            "the PPInfra platform under another host: the same spellings",
            "https://novita.ai/docs/guides/llm-batch-api",
        )
    },
    Provider {
        dialect: Dialect::Token360,
        ..compatible(
            "token360",
            "token360",
            "https://api.token360.ai/v1",
            "TOKEN360_API_KEY",
            limits(None, Some(200 * MB), &["24h"], 16),
            "unset times are left out; only `/v1/chat/completions` and `24h`; one model per file; `callback_url` on create",
            "https://www.token360.ai/zh-CN/docs/api-%E5%8F%82%E8%80%83/%E6%89%B9%E9%87%8F%E4%BB%BB%E5%8A%A1/%E5%88%9B%E5%BB%BA-batch",
        )
    },
    compatible(
        "siliconflow",
        "SiliconFlow",
        "https://api.siliconflow.cn/v1",
        "SILICONFLOW_API_KEY",
        limits(Some(5_000), Some(1_000 * MB), &["24h", "48h", "72h", "168h", "336h"], 16),
        "status `in_queue` (validating); `errors` as an array and `request_counts` `{}` or null; windows 24h to 336h; only `/v1/chat/completions`",
        "https://docs.siliconflow.cn/cn/userguide/guides/batch",
    ),
    compatible(
        "dashscope",
        "Alibaba Model Studio",
        "https://dashscope.aliyuncs.com/compatible-mode/v1",
        "DASHSCOPE_API_KEY",
        limits(Some(50_000), Some(500 * MB), &["24h", "48h", "72h", "168h", "336h"], 16),
        "unset times sent as 0 (read as null); `metadata.ds_name`/`ds_description` name the task; windows 24h to 336h; international: dashscope-intl.aliyuncs.com",
        "https://www.alibabacloud.com/help/en/model-studio/batch-interfaces-compatible-with-openai",
    ),
    Provider {
        top_level_counts: true,
        ..compatible(
            "zhipu",
            "Zhipu BigModel",
            "https://open.bigmodel.cn/api/paas/v4",
            "ZHIPU_API_KEY",
            limits(Some(50_000), Some(100 * MB), &[], 16),
            "`/api/paas/v4`, line urls `/v4/chat/completions`; no `completion_window` on create; `request_counts` may be a number beside top-level counts; `auto_delete_input_file` defaults to true",
            "https://docs.bigmodel.cn/cn/guide/tools/batch",
        )
    },
    compatible(
        "deepinfra",
        "DeepInfra",
        "https://api.deepinfra.com/v1/openai",
        "DEEPINFRA_API_KEY",
        limits(None, None, &["24h"], 16),
        "the OpenAI shape with `model` and `usage`; `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` only",
        "https://docs.deepinfra.com/batch/introduction",
    ),
    compatible(
        "nebius",
        "Nebius AI Studio",
        "https://api.studio.nebius.com/v1",
        "NEBIUS_API_KEY",
        limits(Some(5_000_000), Some(10_000 * MB), &["24h"], 16),
        "the OpenAI shape; `override_settings` on create; up to 5,000,000 requests and 10 GB per file",
        "https://docs.studio.nebius.com/ai-models-inference/batch-inference",
    ),
    compatible(
        "moonshot",
        "Moonshot (Kimi)",
        "https://api.moonshot.ai/v1",
        "MOONSHOT_API_KEY",
        limits(None, Some(100 * MB), &["24h"], 0),
        "pages without `first_id`/`last_id` (the cursor is the last batch's id); no `errors` or `expired_at`; China: api.moonshot.cn",
        "https://platform.kimi.ai/docs/api/batch-create",
    ),
];
