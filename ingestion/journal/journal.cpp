// The journal's writer side: submission queue, group commit, dedupe, cursors.
#include "ingestion/journal/journal.hpp"

#include <algorithm>
#include <bit>
#include <future>

#include <pthread.h>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "ingestion/journal/checkpointer.hpp"
#include "ingestion/journal/compression.hpp"
#include "ingestion/journal/journal_db.hpp"
#include "ingestion/journal/recent_events.hpp"
#include "ingestion/journal/statements.hpp"
#include "ingestion/journal/wal_syncer.hpp"

namespace chatops::ingestion {

// An event as it goes into its row: serialised by the submitting thread, so that the one writer
// thread, which every submission waits for, does no more than SQLite's part. The event itself is
// kept (but its uncompressed payload) to be handed to the reader once committed.
struct Row {
  IngestionEvent event;
  std::string severity, fields_json, raw_compressed;
  std::int64_t time_ms = 0;
  // The fields are read back from fields_json rather than taken as they are: the source wrote
  // them so, or serialising may have replaced invalid UTF-8 in them.
  bool fields_from_text = false;
};

// One submitted batch (or a writability probe: no source, no rows), owned by the queue and then
// by the writer until its completion has run.
struct Journal::Job {
  std::string source;
  std::vector<Row> rows;
  std::optional<std::string> cursor;
  std::vector<StateChange> state;
  std::shared_ptr<BatchChain> chain;  // broken once a job of it is refused: the later ones are refused too
  Completion done;
};

namespace {

Row row_of(IngestionEvent&& e) {
  Row row;
  row.severity = to_string(e.severity);
  row.time_ms = journal_db::to_ms(e.time);
  row.fields_from_text = e.fields.holds_text();
  row.fields_json = std::move(e.fields).text();
  // Invalid UTF-8 in the object was replaced by U+FFFD: the event is read back as journaled.
  if (!row.fields_from_text) row.fields_from_text = row.fields_json.find("\xEF\xBF\xBD") != std::string::npos;
  row.raw_compressed = compression::compress(e.raw);
  std::string().swap(e.raw);  // freed now: the journaled event carries it compressed
  row.event = std::move(e);
  return row;
}

// The committed event as the file gives it back (pending_events()), for the reader.
RecentEvents::Entry committed_entry(Row&& row, const std::string& source, std::int64_t id) {
  auto& e = row.event;
  e.id = id;
  e.source = source;
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(row.time_ms));
  const auto bytes = sizeof(IngestionEvent) + 4 * row.fields_json.size() + row.raw_compressed.size() +
                     e.default_template.size() + e.topic.size() + e.dedupe_key.size();
  if (row.fields_from_text) e.fields = EventFields::from_text(std::move(row.fields_json));  // parsed when handed out
  e.raw_compressed = std::move(row.raw_compressed);
  return {std::move(e), bytes};
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::open(JournalOptions options, Clock clock) {
  if (options.batch_max == 0) options.batch_max = 1;
  // NORMAL even when FULL is asked for: write_jobs() syncs each commit itself, after handing its
  // events to the reader (see journal.hpp).
  auto writer = journal_db::open(options, Synchronous::Normal, true);
  if (!writer) return std::unexpected(writer.error());
  // The reader's writes are marks, which may be lost on a power loss (see journal.hpp).
  auto reader = journal_db::open(options, Synchronous::Normal, false);
  if (!reader) return std::unexpected(reader.error());
  auto checkpointer = Checkpointer::open(options);
  if (!checkpointer) return std::unexpected(checkpointer.error());
  (*checkpointer)->watch(**writer);
  (*checkpointer)->watch(**reader);
  return std::unique_ptr<Journal>(new Journal(std::move(options), std::move(clock), std::move(*checkpointer),
                                              std::move(*writer), std::move(*reader)));
}

Journal::Journal(JournalOptions options, Clock clock, std::unique_ptr<Checkpointer> checkpointer,
                 std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> reader)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      checkpointer_(std::move(checkpointer)),
      writer_db_(std::move(writer)),
      reader_db_(std::move(reader)),
      syncer_(options_.synchronous == Synchronous::Full
                  ? std::make_unique<WalSyncer>(sqlite3_filename_wal(sqlite3_db_filename(writer_db_->getHandle(), "main")))
                  : nullptr),
      writer_thread_([this] { run_writer(); }) {}

Journal::~Journal() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  writer_thread_.join();
  syncer_.reset();  // answers what the writer committed last
}

std::int64_t Journal::now_ms() const { return journal_db::to_ms(clock_()); }

void Journal::hand_committed_to_reader() { recent_.enable(); }

void Journal::set_on_new_events(std::function<void(std::int64_t)> callback) {
  std::lock_guard lock(queue_mutex_);
  on_new_events_ = std::move(callback);
}

void Journal::push(std::unique_ptr<Job> job) {
  std::unique_lock lock(queue_mutex_);
  if (stopping_) {
    lock.unlock();
    const auto events = job->rows.size();
    std::vector<std::unique_ptr<Job>> refused;
    refused.push_back(std::move(job));
    return refuse(refused, events, "journal: shutting down");
  }
  queued_events_ += job->rows.size();
  queue_.push_back(std::move(job));
  work_cv_.notify_one();
}

void Journal::submit(EventBatch batch, Completion done) {
  auto job = std::make_unique<Job>();
  job->source = std::move(batch.source);
  job->cursor = std::move(batch.cursor);
  job->state = std::move(batch.state);
  job->chain = std::move(batch.chain);
  job->done = std::move(done);
  job->rows.reserve(batch.events.size());
  for (auto& event : batch.events) job->rows.push_back(row_of(std::move(event)));
  push(std::move(job));
}

void Journal::probe_writable(std::function<void(const std::string& error)> answer) {
  auto job = std::make_unique<Job>();
  job->done = [answer = std::move(answer)](const BatchResult& r) { answer(r.error); };
  push(std::move(job));
}

Result<void> Journal::check_writable() {
  constexpr auto kTimeout = std::chrono::seconds(5);
  // Shared with the completion: a probe that times out may still be answered later.
  auto answer = std::make_shared<std::promise<std::string>>();
  auto result = answer->get_future();
  probe_writable([answer](const std::string& error) { answer->set_value(error); });
  if (result.wait_for(kTimeout) != std::future_status::ready) return fail("journal: the writer has not answered for 5s");
  if (auto error = result.get(); !error.empty()) return fail(error);
  return {};
}

JournalStats Journal::stats() const {
  JournalStats s;
  s.accepted = accepted_.load();
  s.duplicates = duplicates_.load();
  s.failed = failed_.load();
  s.commits = commits_.load();
  {
    std::lock_guard lock(queue_mutex_);
    s.queued = queued_events_;
  }
  return s;
}

void Journal::run_writer() {
  pthread_setname_np(pthread_self(), "journal-writer");  // top -H, perf, gdb
  constexpr auto kMaxGather = std::chrono::milliseconds(1);
  std::vector<std::unique_ptr<Job>> jobs;
  std::size_t last_jobs = 0;  // in the last commit: its submitters
  std::chrono::steady_clock::duration last_commit{};
  for (;;) {
    std::function<void(std::int64_t)> notify;
    std::size_t events = 0;
    Gathering gathering;
    {
      std::unique_lock lock(queue_mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted has been answered
      // The submitters of the last commit, answered, are submitting again: the commit waits for as
      // many (see journal.hpp) rather than be spent on the first of them.
      if (queue_.size() < last_jobs && !stopping_) {
        const auto last_cycle = last_commit + (syncer_ ? syncer_->last_sync() : std::chrono::nanoseconds(0));
        gathering = {last_jobs, std::chrono::steady_clock::now() +
                                    std::min<std::chrono::steady_clock::duration>(last_cycle, kMaxGather)};
      }
      take_queued(jobs, events);
      notify = on_new_events_;
    }
    const auto started = std::chrono::steady_clock::now();
    gathering.taken = jobs.size();
    refuse_after_refused(jobs);
    if (!jobs.empty()) write_jobs(std::move(jobs), notify, gathering);
    last_jobs = gathering.taken;
    last_commit = std::chrono::steady_clock::now() - started - gathering.waited;
    jobs.clear();
    checkpointer_->bound_wal(*writer_db_);
  }
}

void Journal::take_queued(std::vector<std::unique_ptr<Job>>& jobs, std::size_t& events) {
  while (!queue_.empty() && (jobs.empty() || events + queue_.front()->rows.size() <= options_.batch_max)) {
    events += queue_.front()->rows.size();
    queued_events_ -= queue_.front()->rows.size();
    jobs.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

bool Journal::gather_more(std::vector<std::unique_ptr<Job>>& jobs, std::size_t& events, Gathering& gathering) {
  while (gathering.taken < gathering.jobs) {
    std::vector<std::unique_ptr<Job>> more;
    {
      std::unique_lock lock(queue_mutex_);
      const auto began = std::chrono::steady_clock::now();
      const bool woken = work_cv_.wait_until(lock, gathering.until, [&] { return stopping_ || !queue_.empty(); });
      gathering.waited += std::chrono::steady_clock::now() - began;
      if (!woken || queue_.empty()) return false;  // past the deadline, or stopping
      if (events + queue_.front()->rows.size() > options_.batch_max) return false;
      std::size_t batch_events = events;
      take_queued(more, batch_events);
    }
    gathering.taken += more.size();
    refuse_after_refused(more);
    if (more.empty()) continue;
    for (auto& job : more) {
      events += job->rows.size();
      jobs.push_back(std::move(job));
    }
    return true;
  }
  return false;
}

void Journal::refuse_after_refused(std::vector<std::unique_ptr<Job>>& jobs) {
  const auto after_refused = [](const std::unique_ptr<Job>& job) { return job->chain && job->chain->broken; };
  if (std::ranges::none_of(jobs, after_refused)) return;
  std::vector<std::unique_ptr<Job>> refused;
  std::size_t events = 0;
  for (auto& job : jobs)
    if (after_refused(job)) {
      events += job->rows.size();
      refused.push_back(std::move(job));
    }
  std::erase(jobs, nullptr);
  refuse(refused, events, "journal: a batch its source submitted before this one was refused");
}

void Journal::refuse(const std::vector<std::unique_ptr<Job>>& jobs, std::size_t events, const std::string& why) {
  failed_ += events;
  for (const auto& job : jobs) {
    if (job->chain) job->chain->broken = true;
    job->done(BatchResult::refused(job->rows.size(), why));
  }
}

namespace {

// Runs the statement of `rows(n)` rows over the rows at `indexes`, in groups of a power of two
// rows; `bind(statement, place, index)` binds one row's parameters at its place in the statement.
template <class StatementOf, class Bind>
void in_groups(const std::vector<std::size_t>& indexes, StatementOf rows, Bind bind) {
  for (std::size_t done = 0; done < indexes.size();) {
    const std::size_t n = std::bit_floor(indexes.size() - done);
    auto& statement = rows(n);
    for (std::size_t r = 0; r < n; ++r) bind(statement, static_cast<int>(r), indexes[done + r]);
    statement.exec();
    statement.reset();
    done += n;
  }
}

// Binds `row`, of `source`, as the event `id` in an insert statement's parameters after `p` (the
// row's place times the columns).
void bind_insert(SQLite::Statement& insert, int p, const std::string& source, const Row& row, std::int64_t id,
                 std::int64_t now) {
  const auto& e = row.event;
  // bindNoCopy: the rows outlive the statement's execution, so SQLite reads them in place.
  insert.bind(p + 1, id);
  insert.bindNoCopy(p + 2, source);
  insert.bindNoCopy(p + 3, e.family);
  insert.bindNoCopy(p + 4, e.topic);
  insert.bind(p + 5, row.time_ms);
  insert.bindNoCopy(p + 6, row.severity);
  insert.bindNoCopy(p + 7, e.dedupe_key);
  insert.bindNoCopy(p + 8, row.fields_json);
  insert.bindNoCopy(p + 9, e.default_template);
  insert.bind(p + 10, now);
  insert.bindNoCopy(p + 11, row.raw_compressed.data(), static_cast<int>(row.raw_compressed.size()));
}

}  // namespace

// Marks Duplicate the rows [begin, end) of `job` whose dedupe key was seen within the window: by
// an earlier commit, an earlier row of this transaction (its key is claimed already), or an
// earlier row of the range.
void Journal::mark_duplicates(WriterStatements& statements, const Job& job, std::size_t begin, std::size_t end,
                              std::int64_t seen_after, std::vector<Submission>& outcomes) {
  auto& seen = statements.seen_keys;
  bool keyed = false;
  for (std::size_t k = 0; k < WriterStatements::kRowsPerStatement; ++k) {
    const int parameter = 3 + static_cast<int>(k);
    if (begin + k < end && !job.rows[begin + k].event.dedupe_key.empty()) {
      seen.bindNoCopy(parameter, job.rows[begin + k].event.dedupe_key);
      keyed = true;
    } else {
      seen.bind(parameter);  // NULL: matches no key
    }
  }
  if (!keyed) return;
  seen.bindNoCopy(1, job.source);
  seen.bind(2, seen_after);
  std::vector<std::string> found;
  while (seen.executeStep()) found.push_back(seen.getColumn(0).getString());
  seen.reset();
  std::vector<std::string_view> claimed;
  for (std::size_t i = begin; i < end; ++i) {
    const std::string_view key = job.rows[i].event.dedupe_key;
    if (key.empty()) continue;
    if (std::ranges::find(found, key) != found.end() || std::ranges::find(claimed, key) != claimed.end())
      outcomes[i] = Submission::Duplicate;
    else
      claimed.push_back(key);
  }
}

// A job of a few rows (a webhook's), row by row: each row's key claimed unless seen within the
// window (one statement), then the row inserted.
void Journal::write_one_by_one(WriterStatements& statements, const Job& job, std::int64_t seen_after,
                               std::int64_t now, std::int64_t& id, BatchResult& result) {
  auto& claim_key = statements.claim_key;
  for (std::size_t i = 0; i < job.rows.size(); ++i) {
    const auto& key = job.rows[i].event.dedupe_key;
    if (!key.empty()) {
      claim_key.bindNoCopy(1, job.source);
      claim_key.bindNoCopy(2, key);
      claim_key.bind(3, now);
      claim_key.bind(4, seen_after);
      claim_key.bind(5, id);
      const bool claimed = claim_key.exec() == 1;
      claim_key.reset();
      if (!claimed) {
        result.outcomes[i] = Submission::Duplicate;
        continue;
      }
    }
    result.ids[i] = id++;
    auto& insert = statements.insert(1);
    bind_insert(insert, 0, job.source, job.rows[i], result.ids[i], now);
    insert.exec();
    insert.reset();
  }
}

// A job of many rows (a stream's batch), by slices of kRowsPerStatement rows: the slice's keys
// seen within the window looked up at once, then the others' claimed and the rows inserted.
void Journal::write_slices(WriterStatements& statements, const Job& job, std::int64_t seen_after, std::int64_t now,
                           std::int64_t& id, BatchResult& result) {
  std::vector<std::size_t> accepted;
  for (std::size_t begin = 0; begin < job.rows.size(); begin += WriterStatements::kRowsPerStatement) {
    const std::size_t end = std::min(job.rows.size(), begin + WriterStatements::kRowsPerStatement);
    mark_duplicates(statements, job, begin, end, seen_after, result.outcomes);
    accepted.clear();
    for (std::size_t i = begin; i < end; ++i)
      if (result.outcomes[i] == Submission::Accepted) {
        result.ids[i] = id++;
        accepted.push_back(i);
      }
    write_rows(statements, job, accepted, result.ids, now);
  }
}

// Claims the dedupe keys of `job`'s rows at `accepted` (indexes, ascending) and inserts the rows,
// by statements of several rows.
void Journal::write_rows(WriterStatements& statements, const Job& job, const std::vector<std::size_t>& accepted,
                         const std::vector<std::int64_t>& ids, std::int64_t now) {
  std::vector<std::size_t> keyed;
  for (const auto i : accepted)
    if (!job.rows[i].event.dedupe_key.empty()) keyed.push_back(i);
  in_groups(
      keyed, [&](std::size_t n) -> SQLite::Statement& { return statements.claim(n); },
      [&](SQLite::Statement& claim, int place, std::size_t i) {
        const int p = place * 4;
        claim.bindNoCopy(p + 1, job.source);
        claim.bindNoCopy(p + 2, job.rows[i].event.dedupe_key);
        claim.bind(p + 3, now);
        claim.bind(p + 4, ids[i]);
      });
  in_groups(
      accepted, [&](std::size_t n) -> SQLite::Statement& { return statements.insert(n); },
      [&](SQLite::Statement& insert, int place, std::size_t i) {
        bind_insert(insert, place * WriterStatements::kInsertColumns, job.source, job.rows[i], ids[i], now);
      });
}

void Journal::write_jobs(std::vector<std::unique_ptr<Job>> jobs, const std::function<void(std::int64_t)>& notify,
                         Gathering& gathering) {
  auto& db = *writer_db_;
  const auto now = now_ms();
  const auto seen_after = now - options_.dedupe_window.count();
  std::vector<BatchResult> results(jobs.size());
  std::size_t events = 0;
  for (const auto& job : jobs) events += job->rows.size();
  const auto changes_before = sqlite3_total_changes64(db.getHandle());
  auto written = journal_db::guarded("committing events", [&] {
    // IMMEDIATE takes the write lock up front (waiting on the reader connection if needed)
    // instead of failing on a lock upgrade; an all-probe batch thus checks writability too.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    if (!writer_statements_) writer_statements_ = std::make_unique<WriterStatements>(db);
    auto& statements = *writer_statements_;
    auto& next_id = statements.next_id;
    next_id.executeStep();
    std::int64_t id = next_id.getColumn(0).getInt64();
    next_id.reset();
    for (std::size_t j = 0;; ++j) {
      if (j == jobs.size()) {
        // Each submitter gathered is written as it comes, so that the commit that waits for the
        // last of them has little left to do.
        if (!gather_more(jobs, events, gathering)) break;
        results.resize(jobs.size());
      }
      const auto& job = *jobs[j];
      auto& result = results[j];
      result.outcomes.assign(job.rows.size(), Submission::Accepted);
      result.ids.assign(job.rows.size(), 0);
      if (job.rows.size() < WriterStatements::kRowsForSlices)
        write_one_by_one(statements, job, seen_after, now, id, result);
      else
        write_slices(statements, job, seen_after, now, id, result);
      if (job.cursor) {
        auto& put_cursor = statements.put_cursor;
        put_cursor.bindNoCopy(1, job.source);
        put_cursor.bindNoCopy(2, *job.cursor);
        put_cursor.bind(3, now);
        put_cursor.exec();
        put_cursor.reset();
      }
      if (!job.state.empty()) {
        const auto scope = source_state_scope(job.source);
        for (const auto& change : job.state) {
          auto& statement = change.value ? statements.put_state : statements.delete_state;
          statement.bind(1, scope);
          statement.bindNoCopy(2, change.key);
          if (change.value) {
            statement.bindNoCopy(3, *change.value);
            statement.bind(4, now);
          }
          statement.exec();
          statement.reset();
        }
      }
    }
    tx.commit();
  });

  if (!written) {
    writer_statements_.reset();  // a statement may have stopped mid-step: prepare afresh
    spdlog::error("{} ({} events not journaled)", written.error().message, events);
    return refuse(jobs, events, written.error().message);
  }
  std::int64_t max_id = 0;
  std::vector<RecentEvents::Entry> committed;
  committed.reserve(events);
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    auto& job = *jobs[j];
    for (std::size_t i = 0; i < results[j].outcomes.size(); ++i) {
      if (results[j].outcomes[i] == Submission::Duplicate) continue;
      max_id = std::max(max_id, results[j].ids[i]);
      committed.push_back(committed_entry(std::move(job.rows[i]), job.source, results[j].ids[i]));
    }
  }
  // The commit is visible to the reader now, and on disk once synced. The dispatcher may say the
  // events meanwhile: a power loss before the sync ends can then lose a line's event from the
  // journal, but never an acknowledged one, since the submitters are answered after the sync (and
  // upstream sends again what was not acknowledged). Before anyone hears of the commit: a
  // submitter told "committed" finds its events pending.
  if (max_id > 0) {
    recent_.committed(std::move(committed), max_id);
    if (notify) notify(max_id);
  }
  // Rows, a cursor or state: anything the submitters are told is stored is synced first, by the
  // syncer, while this thread commits the next batch. A duplicate of an event committed earlier is
  // answered as stored only once that commit is known to be on disk (see wal_syncer.hpp).
  const bool wrote = sqlite3_total_changes64(db.getHandle()) != changes_before;
  auto answer = [this, jobs = std::move(jobs), results = std::move(results), events](const std::string& error) {
    if (!error.empty()) {
      spdlog::error("{} ({} events committed but not known to be on disk: not acknowledged)", error, events);
      return refuse(jobs, events, error);
    }
    if (events > 0) ++commits_;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      for (const auto outcome : results[j].outcomes) ++(outcome == Submission::Duplicate ? duplicates_ : accepted_);
      jobs[j]->done(results[j]);
    }
  };
  if (syncer_) return syncer_->after_commit(wrote, std::move(answer));
  answer("");
}

}  // namespace chatops::ingestion
