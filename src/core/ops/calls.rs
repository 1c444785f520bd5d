//! The calls that are one request and its retries: `retrieve`, `list`, `cancel`, `uploadFile`,
//! `fileContent`.

use super::exchange::{Answered, Exchange, Step};
use super::retry::Safety;
use super::{Action, Env, Event, Op, Text};
use crate::core::config::ListQuery;
use crate::core::error::{Error, Result};
use crate::core::http::{answer_error, read_body, Request};
use crate::core::json::{Out, Scanner};
use crate::core::model::PageSummary;
use crate::core::providers::api::Cancelled;
use crate::core::providers::Cx;

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

/// What a call does once its first request is answered.
#[derive(Debug, Clone)]
enum Then {
    /// Its answer is the result.
    Finish,
    /// Retrieve this batch (Gemini's cancel answers `{}`).
    Retrieve(String),
    /// Send the file where the first answer says (Gemini's resumable upload).
    UploadNext,
}

/// One request, its retries, and what its answer becomes (and, for the two-step calls of some
/// providers, the second request).
#[derive(Debug)]
pub struct Call {
    exchange: Exchange,
    finish: Finish,
    then: Then,
}

impl Call {
    /// `GET` a batch.
    pub fn retrieve(cx: &Cx<'_>, id: &str) -> Result<Self> {
        let request = cx.api().retrieve(cx, id)?;
        Ok(Call { exchange: Exchange::new(request, Safety::Idempotent), finish: Finish::Batch, then: Then::Finish })
    }

    /// `GET` a page of batches.
    pub fn list(cx: &Cx<'_>, query: ListQuery) -> Result<Self> {
        let request = cx.api().list(cx, &query)?;
        Ok(Call {
            exchange: Exchange::new(request, Safety::Idempotent),
            finish: Finish::Page(query),
            then: Then::Finish,
        })
    }

    /// Cancel a batch; the batch after it (retrieved, where the cancel does not answer with it).
    pub fn cancel(cx: &Cx<'_>, id: &str) -> Result<Self> {
        let request = cx.api().cancel(cx, id)?;
        let then = match cx.api().cancelled() {
            Cancelled::Batch => Then::Finish,
            Cancelled::Nothing => Then::Retrieve(id.to_owned()),
        };
        Ok(Call { exchange: Exchange::new(request, Safety::Idempotent), finish: Finish::Batch, then })
    }

    /// Upload a file (a paid object too: repeated only when the answer proves nothing was stored).
    /// With a two-step upload, `request` is the first step and the file goes in the second.
    pub fn upload(request: Request) -> Self {
        Call { exchange: Exchange::new(request, Safety::Creates), finish: Finish::File, then: Then::UploadNext }
    }

    /// `GET` a file's content, the body left open.
    pub fn file_content(cx: &Cx<'_>, file_id: &str) -> Result<Self> {
        let request = cx.api().file_content(cx, file_id)?;
        Ok(Call { exchange: Exchange::streaming(request), finish: Finish::Response, then: Then::Finish })
    }

    /// The second request after the first answer, if the call has one.
    fn next(&mut self, env: &Env<'_>, answered: &Answered) -> Result<Option<Exchange>> {
        match std::mem::replace(&mut self.then, Then::Finish) {
            Then::Finish => Ok(None),
            Then::Retrieve(id) => {
                let request = env.cx.api().retrieve(&env.cx, &id)?;
                Ok(Some(Exchange::new(request, Safety::Idempotent)))
            }
            Then::UploadNext => {
                let next = env.cx.api().upload_next(&env.cx, &answered.head)?;
                Ok(next.map(|request| Exchange::new(request, Safety::Creates)))
            }
        }
    }
}

/// A 2xx answer as `finish` says: its text walked once into our model.
pub fn finish(cx: &Cx<'_>, finish: &Finish, answered: &Answered) -> Result<Text> {
    match finish {
        Finish::Page(query) => page(cx, query, answered).map(|(text, _)| text),
        _ => read(answered, |scan, out| match finish {
            Finish::File => cx.api().file(cx, scan, out),
            _ => cx.api().batch(cx, scan, out).map(drop),
        }),
    }
}

/// A page answer: the normalised page and what paging needs of it.
pub fn page(cx: &Cx<'_>, query: &ListQuery, answered: &Answered) -> Result<(Text, PageSummary)> {
    let mut summary = PageSummary::default();
    let text = read(answered, |scan, out| {
        summary = cx.api().page(cx, scan, query, out)?;
        Ok(())
    })?;
    Ok((text, summary))
}

/// Walks an answer's text with `walk`, which writes what it makes of it; then the text must end.
/// A failure is said against the answer (the provider's own error when the answer is one).
fn read(answered: &Answered, walk: impl FnOnce(&mut Scanner<'_>, &mut Out) -> Result<()>) -> Result<Text> {
    let text = read_body(&answered.head, &answered.body)?;
    let mut out = Out::with_capacity(text.len() + text.len() / 16 + 256);
    let mut scan = Scanner::new(text);
    let walked = walk(&mut scan, &mut out).and_then(|()| scan.at_end().map_err(Error::from));
    match walked {
        Ok(()) => Ok(Text::from(out)),
        Err(error) => Err(answer_error(&answered.head, text, error)),
    }
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
            Step::Done(answered) => match self.next(env, &answered) {
                Err(error) => Action::Done(Err(error)),
                Ok(Some(exchange)) => {
                    self.exchange = exchange;
                    self.step(env, Event::Start)
                }
                Ok(None) => Action::Done(finish(&env.cx, &self.finish, &answered).map(Some)),
            },
        }
    }
}
