// The journal's writer side: submission queue, group commit, dedupe.
#include "ingestion/journal/journal.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include "ingestion/journal/checkpointer.hpp"
#include "ingestion/journal/compression.hpp"
#include "ingestion/journal/journal_db.hpp"

namespace chatops::ingestion {

// An event as it goes into its row: serialised by the submitting thread, so that the one writer
// thread, which every submission waits for, does no more than SQLite's part.
struct Row {
  std::string source, kind, topic, severity, dedupe_key, fields_json, default_template, raw_zstd;
  std::int64_t time_ms = 0;
};

// One submission (a row) or one writability probe (no row), shared between the waiting caller and
// the writer so a probe that times out leaves nothing dangling. Each job has its own condition so
// that a commit wakes exactly its callers. (Not a std::binary_semaphore: libstdc++ spins with
// sched_yield before sleeping, which costs the writer its CPU on two cores.)
struct Journal::Job {
  std::optional<Row> row;
  Receipt receipt;
  std::string error;  // why it failed
  bool done = false;  // guarded by queue_mutex_
  std::condition_variable answered;
};

// The writer's statements, prepared on first use and kept: re-preparing them cost more than a
// small batch's inserts.
struct Journal::WriterStatements {
  explicit WriterStatements(SQLite::Database& db)
      : find_key(db, "SELECT seen_ms FROM dedupe WHERE key = ?"),
        put_key(db, "INSERT OR REPLACE INTO dedupe(key, seen_ms) VALUES (?, ?)"),
        insert(db,
               "INSERT INTO events(source, kind, topic, time_ms, severity, dedupe_key, fields_json, "
               "default_template, received_ms, raw_zstd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") {}
  SQLite::Statement find_key, put_key, insert;
};

namespace {

Row row_of(IngestionEvent&& e) {
  return Row{.source = std::move(e.source),
             .kind = std::move(e.kind),
             .topic = std::move(e.topic),
             .severity = std::string(to_string(e.severity)),
             .dedupe_key = std::move(e.dedupe_key),
             // Replacing invalid UTF-8 rather than throwing: payloads are untrusted.
             .fields_json = e.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
             .default_template = std::move(e.default_template),
             .raw_zstd = compression::compress(e.raw),
             .time_ms = journal_db::to_ms(e.time)};
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::open(JournalOptions options, Clock clock) {
  if (options.batch_max == 0) options.batch_max = 1;
  auto writer = journal_db::open(options, true);
  if (!writer) return std::unexpected(writer.error());
  auto reader = journal_db::open(options, false);
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
      writer_thread_([this] { run_writer(); }) {}

Journal::~Journal() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  writer_thread_.join();
}

std::int64_t Journal::now_ms() const { return journal_db::to_ms(clock_()); }

void Journal::set_on_new_events(std::function<void(std::int64_t)> callback) {
  std::lock_guard lock(queue_mutex_);
  on_new_events_ = std::move(callback);
}

bool Journal::push(const std::shared_ptr<Job>& job) {
  // Called with queue_mutex_ held.
  if (stopping_) return false;
  queue_.push_back(job);
  work_cv_.notify_one();
  return true;
}

Submission Journal::submit(IngestionEvent event) { return append(std::move(event)).result; }

Receipt Journal::append(IngestionEvent event) {
  auto job = std::make_shared<Job>();
  job->row = row_of(std::move(event));
  std::unique_lock lock(queue_mutex_);
  if (!push(job)) {
    ++failed_;
    return {};
  }
  job->answered.wait(lock, [&] { return job->done; });
  return job->receipt;
}

Result<void> Journal::check_writable() {
  constexpr auto kTimeout = std::chrono::seconds(5);
  auto job = std::make_shared<Job>();
  std::unique_lock lock(queue_mutex_);
  if (!push(job)) return fail("journal: shutting down");
  if (!job->answered.wait_for(lock, kTimeout, [&] { return job->done; }))
    return fail("journal: the writer has not answered for 5s");
  if (job->receipt.result != Submission::Accepted) return fail(job->error);
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
    s.queued = queue_.size();
  }
  return s;
}

void Journal::run_writer() {
  pthread_setname_np(pthread_self(), "journal-writer");  // top -H, perf, gdb
  std::vector<std::shared_ptr<Job>> batch;
  for (;;) {
    std::function<void(std::int64_t)> notify;
    {
      std::unique_lock lock(queue_mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted has been answered
      // No waiting for more: whatever queued up during the previous commit is the next batch.
      while (!queue_.empty() && batch.size() < options_.batch_max) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      notify = on_new_events_;
    }
    auto max_id = write_batch(batch);
    {
      std::lock_guard lock(queue_mutex_);
      for (auto& job : batch) job->done = true;
    }
    for (auto& job : batch) job->answered.notify_one();  // `batch` keeps each job alive meanwhile
    batch.clear();
    if (max_id > 0 && notify) notify(max_id);
    checkpointer_->bound_wal(*writer_db_);
  }
}

std::int64_t Journal::write_batch(const std::vector<std::shared_ptr<Job>>& batch) {
  auto& db = *writer_db_;
  const auto now = now_ms();
  const auto seen_after = now - options_.dedupe_window.count();
  std::vector<Receipt> receipts(batch.size());
  std::size_t events = 0;
  auto written = journal_db::guarded("committing events", [&] {
    // IMMEDIATE takes the write lock up front (waiting on the reader connection if needed)
    // instead of failing on a lock upgrade; an all-probe batch thus checks writability too.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    if (!writer_statements_) writer_statements_ = std::make_unique<WriterStatements>(db);
    auto& [find_key, put_key, insert] = *writer_statements_;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& e = batch[i]->row;
      receipts[i].result = Submission::Accepted;
      if (!e) continue;  // a probe
      ++events;
      if (!e->dedupe_key.empty()) {
        find_key.bind(1, e->dedupe_key);
        bool seen = find_key.executeStep() && find_key.getColumn(0).getInt64() > seen_after;
        find_key.reset();
        if (seen) {
          receipts[i].result = Submission::Duplicate;
          continue;
        }
        put_key.bind(1, e->dedupe_key);
        put_key.bind(2, now);
        put_key.exec();
        put_key.reset();
      }
      // bindNoCopy: the rows outlive the statement's execution, so SQLite reads them in place.
      insert.bindNoCopy(1, e->source);
      insert.bindNoCopy(2, e->kind);
      insert.bindNoCopy(3, e->topic);
      insert.bind(4, e->time_ms);
      insert.bindNoCopy(5, e->severity);
      insert.bindNoCopy(6, e->dedupe_key);
      insert.bindNoCopy(7, e->fields_json);
      insert.bindNoCopy(8, e->default_template);
      insert.bind(9, now);
      insert.bindNoCopy(10, e->raw_zstd.data(), static_cast<int>(e->raw_zstd.size()));
      insert.exec();
      insert.reset();
      receipts[i].id = db.getLastInsertRowid();
    }
    tx.commit();
  });

  std::int64_t max_id = 0;
  if (!written) {
    writer_statements_.reset();  // a statement may have stopped mid-step: prepare afresh
    spdlog::error("{} ({} events not journaled)", written.error().message, events);
    failed_ += events;
  } else if (events > 0) {
    ++commits_;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& job = *batch[i];
    if (!written) {
      job.error = written.error().message;
      continue;  // receipt stays Failed
    }
    job.receipt = receipts[i];
    if (!job.row) continue;
    if (job.receipt.result == Submission::Duplicate) ++duplicates_;
    else ++accepted_;
    max_id = std::max(max_id, job.receipt.id);
  }
  return max_id;
}

}  // namespace chatops::ingestion
