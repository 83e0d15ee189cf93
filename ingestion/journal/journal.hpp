#pragma once
// The durable event journal (SQLite, WAL): what makes an acknowledged event survive kill -9.
//
// Writing: submit() from any thread serialises a batch's rows and hands them to the writer thread,
// which commits every batch waiting at that moment in one transaction (group commit), with each
// batch's cursor, and only then has the batches' completions run. When fewer batches wait than
// the last commit took, the commit gathers more for at most as long as that commit and its sync
// lasted (1 ms at most): the submitters just answered (HTTP clients) are usually submitting again,
// and one fsync for all of them costs less than one each; a lone submitter (the last commit took
// one batch) never waits. The transaction begins with the first batch and writes each one
// gathered as it comes, so that when the last arrives only its own rows and the commit are left
// (the write lock is held meanwhile: the other connections' busy wait is short, journal_db.hpp).
// Dedupe keys are scoped by source and checked in that transaction, so of two concurrent
// submissions of one key by one source exactly one is Accepted. After each commit,
// on_new_events(max_id) is called on the writer thread, before the fsync and the completions.
// With synchronous=FULL the writer's connection still runs NORMAL, so that its commit is
// published at once, and after on_new_events the writer hands the completions to the syncer
// (wal_syncer.hpp), whose thread fsyncs the WAL and then runs them while the writer commits the
// next batch: the dispatcher says an event while its commit syncs, and no submitter is answered
// before it is on disk. With synchronous=NORMAL the completions run on the writer's thread.
//
// Reading: the dispatcher (the io thread) walks pending_events(), marks each handler output sent or
// digested as IRC confirms it, and marks the event done. After a crash pending_events(0, …)
// returns everything not done, and deliveries() says which outputs were already said, so nothing
// is said twice or dropped. The read side has its own connection, serialised by a mutex, so that
// other threads may read too; its statements are prepared once. Its writes (the marks) are not
// fsynced one by one (synchronous=NORMAL on that connection): they survive kill -9, and the next
// commit of events, fsynced, makes them durable against a power loss too; losing one there at
// worst says a line again.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "ingestion/journal/recent_events.hpp"
#include "ingestion/runtime/store.hpp"

namespace SQLite {
class Database;
}

namespace chatops::ingestion {

class Checkpointer;
class WalSyncer;

enum class Synchronous { Full, Normal };

struct JournalOptions {
  std::string path = "./data/chatops.db";
  std::chrono::milliseconds dedupe_window = std::chrono::hours(24);
  std::chrono::milliseconds retention = std::chrono::hours(24 * 7);  // of done events
  Synchronous synchronous = Synchronous::Full;
  std::size_t batch_max = 512;  // events per group commit
};

// Pending: only in journals written before schema 3, which recorded outputs before saying them.
enum class DeliveryState { Pending, Sent, Digested };
std::string_view to_string(DeliveryState s);

// One output of one event: a handler key is whatever identifies it stably across restarts for
// the same config (e.g. "bind3:#ops").
struct Delivery {
  std::string handler_key;
  DeliveryState state = DeliveryState::Pending;
  std::int64_t lines = 0;          // IRC lines it was said in (0 until sent)
  std::optional<std::int64_t> sent_ms;
};

struct JournalStats {
  std::uint64_t accepted = 0, duplicates = 0, failed = 0;
  std::uint64_t commits = 0;       // write transactions of the writer thread
  std::uint64_t queued = 0;        // submissions waiting for the writer right now
};

struct PruneCounts {
  std::int64_t events = 0, state = 0;
};

struct DedupePruneStep {
  std::int64_t deleted = 0;
  bool finished = false;  // the walk reached the end of the table; the next call starts over
};

class Journal final : public SourceStore {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // Opens (creating the file, its parent directories and the schema when missing) and starts
  // the writer thread.
  static Result<std::unique_ptr<Journal>> open(JournalOptions options, Clock clock = std::chrono::system_clock::now);
  ~Journal() override;  // answers everything already submitted, then stops the writer
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // --- writer side (any thread)
  void submit(EventBatch batch, Completion done) override;
  bool keeps_chains() const override { return true; }
  // Called on the writer thread after each commit that accepted events. Set before submitting.
  void set_on_new_events(std::function<void(std::int64_t max_id)> callback);
  // From now on the events committed are also kept in memory (within a bound) for
  // pending_events(), which then hands them out without reading back what was just written. For
  // the one reader that walks the journal forward (the dispatcher); what it walks back to, and
  // what it lags behind by more than the bound, is read from the file as before.
  void hand_committed_to_reader();
  // Goes through the writer: an empty write transaction, so a read-only file, a lock held
  // elsewhere, a failing disk or a stuck writer all show. `answer` gets "" when writable, else
  // why not; it runs where completions run, or never if the writer is stuck.
  void probe_writable(std::function<void(const std::string& error)> answer);
  Result<void> check_writable();  // the same, waiting up to 5 s
  JournalStats stats() const;

  // --- reader side (the dispatcher)
  // Events not done, in id order. Their payload stays compressed (raw_compressed; payload_text()
  // reads it): most handlers never look at it; bindings parse it into `raw` for those that do.
  Result<std::vector<IngestionEvent>> pending_events(std::int64_t after_id, std::size_t limit);
  // The outputs of an event already said (sent) or counted in a digest line (digested).
  Result<std::vector<Delivery>> deliveries(std::int64_t event_id);
  Result<void> mark_sent(std::int64_t event_id, const std::string& handler_key, std::int64_t lines = 1);
  Result<void> mark_digested(std::int64_t event_id, const std::string& handler_key);
  // Idempotent; an error only for an unknown event.
  Result<void> mark_done(std::int64_t event_id);
  Result<std::int64_t> backlog();                         // events not done
  Result<std::chrono::milliseconds> oldest_pending_age();  // 0 when there is no backlog
  // Done events newest first; `topic_mask` is a case-insensitive wildcard (*, ?).
  Result<std::vector<IngestionEvent>> history(std::size_t limit, std::string_view topic_mask = "*");
  // Events received per source within the last `window` (said or not), by source name.
  Result<std::vector<std::pair<std::string, std::int64_t>>> received_per_source(std::chrono::milliseconds window);
  // Deletes done events older than the retention and expired state.
  Result<PruneCounts> prune(std::chrono::system_clock::time_point now);
  // Deletes dedupe keys older than the window, a step at a time: each call reads up to `max_keys`
  // keys in key order from where the last call stopped, and deletes the expired ones in one
  // transaction. The table has no index by age, which would cost every event one more B-tree
  // insert; in steps, the thread that prunes is not held for the whole table. A key left behind
  // a while longer changes nothing: past the window it is no longer a duplicate's key anyway.
  Result<DedupePruneStep> prune_dedupe_keys(std::chrono::system_clock::time_point now, std::size_t max_keys);
  // Ends an event that cannot be said (its rendering or dispatch failed): done, with the reason
  // kept for history, so that it is never replayed.
  Result<void> mark_failed(std::int64_t event_id, std::string_view reason);
  // Called (on the marking thread) each time mark_done or mark_failed ended an event: the Kafka
  // journal's speaker commits its offsets when what it journaled is done. Set before marking.
  void set_on_done(std::function<void(std::int64_t event_id)> callback);
  // Ends every event not done (done, with `reason` kept for history) and forgets their dedupe
  // keys, so that the same events submitted again are accepted as new. For the Kafka journal's
  // speaker at start: what it had journaled and not said is still on the bus after its
  // committed offset, and is said by whichever speaker holds the partition. Returns how many.
  Result<std::int64_t> hand_back_pending(std::string_view reason);
  // The newest event of `source` with this dedupe key: its id and whether it is done.
  Result<std::optional<std::pair<std::int64_t, bool>>> find_event(std::string_view source, std::string_view dedupe_key);

  // --- cursors and component state
  // The cursor last committed with a batch of `source` (nullopt before the first).
  Result<std::optional<std::string>> cursor(std::string_view source) override;
  // Small durable values a component keeps between runs (an STS policy, what a poller has seen),
  // by scope (the component) and key. Expired entries read as absent and are pruned.
  Result<void> put_state(std::string_view scope, std::string_view key, std::string_view value,
                         std::optional<std::chrono::system_clock::time_point> expires = std::nullopt) override;
  Result<std::optional<std::string>> get_state(std::string_view scope, std::string_view key) override;
  Result<std::vector<std::pair<std::string, std::string>>> list_state(std::string_view scope) override;
  Result<void> delete_state(std::string_view scope, std::string_view key) override;

  // Groups reader-side writes into one transaction (one fsync instead of one per mark). Commits
  // in commit(); rolls back if destroyed uncommitted. Not nestable.
  class Batch {
   public:
    explicit Batch(Journal& journal);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    Result<void> commit();

   private:
    Journal& journal_;
    std::optional<Error> begin_error_;
    bool open_ = false;
  };

 private:
  struct Job;
  struct WriterStatements;
  struct ReaderStatements;
  Journal(JournalOptions options, Clock clock, std::unique_ptr<Checkpointer> checkpointer,
          std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> reader);
  void push(std::unique_ptr<Job> job);  // answers the job at once when stopping
  // What a commit waits for once begun: as many submitters as the last commit had, until a deadline.
  struct Gathering {
    std::size_t jobs = 0;  // 0: none, the commit takes what is queued
    std::chrono::steady_clock::time_point until{};
    std::size_t taken = 0;  // jobs taken for the commit so far
    std::chrono::steady_clock::duration waited{};  // for them, not part of the commit's own time
  };
  void run_writer();
  // Moves queued jobs to `jobs` while their events fit in batch_max (at least one). Under queue_mutex_.
  void take_queued(std::vector<std::unique_ptr<Job>>& jobs, std::size_t& events);
  // Waits for the next submitters `gathering` still expects and appends them to `jobs` (`events`
  // counts their rows); false when none came in time, none fit, or the journal is stopping.
  bool gather_more(std::vector<std::unique_ptr<Job>>& jobs, std::size_t& events, Gathering& gathering);
  // Answers as refused, and takes out, the jobs whose chain had a job refused (sink.hpp).
  void refuse_after_refused(std::vector<std::unique_ptr<Job>>& jobs);
  // Commits `jobs` and those `gathering` still expects (each written as it comes), hands the
  // accepted events to the reader and calls `notify`, then has the jobs answered once synced.
  void write_jobs(std::vector<std::unique_ptr<Job>> jobs, const std::function<void(std::int64_t)>& notify,
                  Gathering& gathering);
  void mark_duplicates(WriterStatements& statements, const Job& job, std::size_t begin, std::size_t end,
                       std::int64_t seen_after, std::vector<Submission>& outcomes);
  void write_one_by_one(WriterStatements& statements, const Job& job, std::int64_t seen_after, std::int64_t now,
                        std::int64_t& id, BatchResult& result);
  void write_slices(WriterStatements& statements, const Job& job, std::int64_t seen_after, std::int64_t now,
                    std::int64_t& id, BatchResult& result);
  void write_rows(WriterStatements& statements, const Job& job, const std::vector<std::size_t>& accepted,
                  const std::vector<std::int64_t>& ids, std::int64_t now);
  // Answers every job as refused (`events` in all), with `why`.
  void refuse(const std::vector<std::unique_ptr<Job>>& jobs, std::size_t events, const std::string& why);
  Result<void> set_state(std::int64_t event_id, const std::string& handler_key, DeliveryState state,
                         std::int64_t lines);
  std::int64_t now_ms() const;

  const JournalOptions options_;
  const Clock clock_;
  std::unique_ptr<Checkpointer> checkpointer_;  // outlives both connections below

  std::unique_ptr<SQLite::Database> writer_db_;  // writer thread only
  std::unique_ptr<WriterStatements> writer_statements_;  // writer thread only; prepared once
  mutable std::mutex queue_mutex_;
  std::condition_variable work_cv_;
  std::deque<std::unique_ptr<Job>> queue_;
  std::size_t queued_events_ = 0;  // in queue_
  bool stopping_ = false;
  std::function<void(std::int64_t)> on_new_events_;
  std::function<void(std::int64_t)> on_done_;
  std::atomic<std::uint64_t> accepted_{0}, duplicates_{0}, failed_{0}, commits_{0};
  RecentEvents recent_;  // filled by the writer, taken by pending_events()

  std::mutex reader_mutex_;
  std::unique_ptr<SQLite::Database> reader_db_;
  std::unique_ptr<ReaderStatements> reader_statements_;  // under reader_mutex_
  // Where the walk of prune_dedupe_keys stopped: the last (source, key) it read; under reader_mutex_.
  std::optional<std::pair<std::string, std::string>> dedupe_walk_after_;
  ReaderStatements& statements();                         // prepared on first use

  std::unique_ptr<WalSyncer> syncer_;  // with synchronous=FULL: answers what the writer committed
  std::thread writer_thread_;  // last: starts once everything above exists
};

}  // namespace chatops::ingestion
