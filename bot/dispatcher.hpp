#pragma once
// From the journal to IRC, on the io thread: reads events not yet done in id order, asks the bind
// table what each one says where (the planner), and feeds the IRC output queue a few lines at a
// time, so that the backlog stays in SQLite and not in memory. Records every handler output's
// delivery in the journal and marks an event done once all of its outputs were accepted by the
// server (or counted in a delivered digest).
//
// A target the bot cannot speak to yet (not joined, disconnected) holds nothing in memory: its
// outputs are left in the journal and planned again when the target becomes ready.
//
// An event that a handler cannot say (its template does not compile, rendering threw) is marked
// failed with the reason once its other outputs are delivered, never replayed, and never takes the
// process down: a journaled event that crashed the bot would crash it again at every start.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bot/backlog.hpp"
#include "ingestion/event.hpp"
#include "ingestion/journal/journal.hpp"

namespace chatops::bot {

// The IRC side as the dispatcher (and the planner) sees it.
class IrcPort {
 public:
  virtual ~IrcPort() = default;
  virtual bool can_speak_to(const std::string& target) const = 0;
  // Bytes of text one PRIVMSG (or NOTICE) line to `target` can carry right now.
  virtual std::size_t line_width(const std::string& target, bool notice) const = 0;
  // on_done(true) once every line was accepted by the server, (false) if the link dropped first.
  virtual void say(const Send& send, std::function<void(bool delivered)> on_done) = 0;
};

// A handler that could not say an event (its template does not compile, rendering threw).
struct Failure {
  std::optional<std::size_t> bind_index;  // nullopt: the dispatch as a whole failed
  std::vector<std::string> targets;       // where it would have spoken
  std::string reason;
};

// What the bind table made of one event.
struct Plan {
  std::vector<Output> outputs;
  std::vector<Failure> failures;
  // Handlers still working on it (programs): the event waits under these names, as for a target
  // not ready, until target_ready(name) plans it again.
  std::vector<std::string> waiting{};
};

struct DispatcherOptions {
  // Called when an event is done, with the time from ingestion to its last line accepted.
  std::function<void(std::chrono::duration<double>)> on_latency;
  std::size_t max_waiting_lines = 5000;  // planned but not yet handed to IRC, all targets
  // Outputs in memory, all targets, digested ones included: coalescing keeps the lines few, but
  // each output in a digest still holds its key until the digest is said.
  std::size_t max_waiting_outputs = 10000;
  std::size_t in_flight_lines = 8;       // handed to the IRC queue, not yet confirmed
  std::size_t coalesce_capacity = 64;    // per target: more lines waiting than this are coalesced
  // A bind whose events cannot be said tells its channels so at most once per this interval.
  std::chrono::steady_clock::duration failure_notice_interval = std::chrono::minutes(10);
  // A line said this long after its event arrived starts with its age ("[12m late]"); 0: never.
  std::chrono::milliseconds late_after{0};
  // Whether a source's events are held back (muted from IRC): they wait in the journal until
  // target_ready(held_target(source)).
  std::function<bool(const std::string& source)> holds_source;
};

struct DispatcherStats {
  std::uint64_t events_planned = 0, events_done = 0, events_failed = 0, lines_sent = 0, digest_lines = 0,
                outputs_digested = 0;
  std::size_t waiting_lines = 0;
  std::size_t held_outputs = 0;              // in memory: waiting, coalesced or in flight
  std::vector<std::string> starved_targets;  // targets with outputs left in the journal
};

class Dispatcher {
 public:
  // May throw: the event is then marked failed, like one whose handlers reported failures.
  using Planner = std::function<Plan(const ingestion::IngestionEvent&)>;
  Dispatcher(ingestion::Journal& journal, Planner planner, IrcPort& irc, DispatcherOptions options);

  void pump();                                  // new events in the journal, or room in IRC
  void target_ready(const std::string& target);  // joined a channel
  void connection_lost();                        // everything in memory goes back to the journal
  DispatcherStats stats() const;
  // The name under which a held source's events wait, as if it were a target not ready.
  static std::string held_target(const std::string& source) { return "source " + source; }

 private:
  void plan();
  // For planning more events; may render the chunk's outputs to know their lines.
  bool has_room();
  void plan_event(const ingestion::IngestionEvent& event);
  // Renders an output planned unrendered (Backlog::Render); when that fails, its event is failed
  // with the reason as if its handler had reported it while planning.
  bool render(Output& output);
  void coalesce();
  void send_some();
  void delivered(const Send& send, bool ok);
  // Done, or failed when `failure` is not empty.
  bool settle(std::int64_t event_id, const std::string& failure);
  Plan plan_safely(const ingestion::IngestionEvent& event);
  // Logs a failure and, rate-limited per bind, says it to the bind's targets; returns the reason.
  std::string report(const ingestion::IngestionEvent& event, const Failure& failure);
  void mark_if_late(Send& send) const;

  ingestion::Journal& journal_;
  Planner planner_;
  IrcPort& irc_;
  DispatcherOptions options_;
  std::int64_t walked_to_ = 0;                      // events up to this id have been planned
  std::map<std::string, Backlog> backlogs_;         // per target
  std::set<std::pair<std::int64_t, std::string>> loaded_;  // outputs in memory or in flight
  struct Outstanding {
    std::size_t outputs = 0;  // not yet delivered; all of them are in memory
    std::chrono::system_clock::time_point received;
    std::string failure;  // why some handler could not say it ("" when none)
    std::string what;     // "github/push from github", for the log line once delivered
    std::string targets;  // "#ops, #dev"
  };
  std::map<std::int64_t, Outstanding> outstanding_;
  std::map<std::string, std::int64_t> starved_;      // target → first event id left in the journal
  // Planned with nothing (more) to say: done, or failed with the reason, at the chunk's end.
  std::vector<std::pair<std::int64_t, std::string>> finished_;
  std::size_t waiting_lines_ = 0;  // a line not rendered yet counts 1
  std::size_t in_flight_ = 0;
  const std::vector<ingestion::IngestionEvent>* chunk_ = nullptr;  // while planning it
  std::uint64_t generation_ = 0;                     // bumped when the connection drops
  std::string next_target_;                          // round-robin position
  std::map<std::size_t, std::chrono::steady_clock::time_point> failure_noticed_;  // bind → last notice
  DispatcherStats stats_;
};

}  // namespace chatops::bot
