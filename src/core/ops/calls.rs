//! The calls that are one request and its retries: `retrieve`, `list`, `cancel`, `uploadFile`,
//! `fileContent`.

use super::exchange::{Answered, Exchange, Step};
use super::retry::Safety;
use super::{Action, Env, Event, Op, Text};
use crate::core::config::{Config, ListQuery};
use crate::core::error::Result;
use crate::core::http::{read_json, Request};
use crate::core::json::Out;

/// What an answer becomes.
#[derive(Debug, Clone)]
pub enum Finish {
    /// A normalised batch.
    Batch,
    /// A normalised page of the list.
    Page(ListQuery),
    /// A normalised file object.
    File,
    /// The `Response` itself, body unread.
    Response,
}

/// One request, its retries, and what its answer becomes.
#[derive(Debug)]
pub struct Call {
    exchange: Exchange,
    finish: Finish,
}

impl Call {
    /// `GET` a batch.
    pub fn retrieve(config: &Config, id: &str) -> Result<Self> {
        let request = config.provider.api.retrieve(config, id)?;
        Ok(Call { exchange: Exchange::new(request, Safety::Idempotent), finish: Finish::Batch })
    }

    /// `GET` a page of batches.
    pub fn list(config: &Config, query: ListQuery) -> Result<Self> {
        let request = config.provider.api.list(config, &query)?;
        Ok(Call { exchange: Exchange::new(request, Safety::Idempotent), finish: Finish::Page(query) })
    }

    /// Cancel a batch.
    pub fn cancel(config: &Config, id: &str) -> Result<Self> {
        let request = config.provider.api.cancel(config, id)?;
        Ok(Call { exchange: Exchange::new(request, Safety::Idempotent), finish: Finish::Batch })
    }

    /// Upload a file (a paid object too: repeated only when the answer proves nothing was stored).
    pub fn upload(request: Request) -> Self {
        Call { exchange: Exchange::new(request, Safety::Creates), finish: Finish::File }
    }

    /// `GET` a file's content, the body left open.
    pub fn file_content(config: &Config, file_id: &str) -> Result<Self> {
        let request = config.provider.api.file_content(config, file_id)?;
        Ok(Call { exchange: Exchange::streaming(request), finish: Finish::Response })
    }
}

/// A 2xx answer as `finish` says.
pub fn finish(config: &Config, finish: &Finish, answered: &Answered) -> Result<Text> {
    let json = read_json(&answered.head, &answered.body)?;
    let api = config.provider.api;
    let mut out = Out::with_capacity(answered.body.len() + answered.body.len() / 16 + 256);
    let result = match finish {
        Finish::Batch => api.batch(config, api.created(json), &mut out).map(drop),
        Finish::Page(query) => api.page(config, json, query, &mut out).map(drop),
        Finish::File => api.file(config, json, &mut out),
        Finish::Response => Ok(()),
    };
    result.map_err(|e| crate::core::http::invalid(&answered.head, e.message))?;
    Ok(Text::from(out))
}

impl Op for Call {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        let step = match event {
            Event::Start => self.exchange.start(env),
            event => self.exchange.on(env, event),
        };
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => Action::Done(Err(failed.error)),
            Step::Done(_) if matches!(self.finish, Finish::Response) => Action::DoneWithResponse,
            Step::Done(answered) => Action::Done(finish(env.config, &self.finish, &answered).map(Some)),
        }
    }
}
