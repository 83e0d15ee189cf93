#pragma once
// From the journal to IRC, on the io thread: reads events not yet done in id order, asks the bind
// table what each one says where (the planner), and feeds the IRC output queue a few lines at a
// time, so that the backlog stays in SQLite and not in memory. Records every handler output's
// delivery in the journal and marks an event done once all of its outputs were accepted by the
// server (or counted in a delivered digest).
//
// A target the bot cannot speak to yet (not joined, disconnected) holds nothing in memory: its
// outputs are left in the journal and planned again when the target becomes ready.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bot/backlog.hpp"
#include "ingestion/event.hpp"
#include "ingestion/journal/journal.hpp"

namespace chatops::bot {

// The IRC side as the dispatcher sees it.
class IrcPort {
 public:
  virtual ~IrcPort() = default;
  virtual bool can_speak_to(const std::string& target) const = 0;
  // on_done(true) once every line was accepted by the server, (false) if the link dropped first.
  virtual void say(const Send& send, std::function<void(bool delivered)> on_done) = 0;
};

struct DispatcherOptions {
  // Called when an event is done, with the time from ingestion to its last line accepted.
  std::function<void(std::chrono::duration<double>)> on_latency;
  std::size_t max_waiting_lines = 5000;  // planned but not yet handed to IRC, all targets
  std::size_t in_flight_lines = 8;       // handed to the IRC queue, not yet confirmed
  std::size_t coalesce_capacity = 64;    // per target: more lines waiting than this are coalesced
  // A line said this long after its event arrived starts with its age ("[12m late]"); 0: never.
  std::chrono::milliseconds late_after{0};
};

struct DispatcherStats {
  std::uint64_t events_planned = 0, events_done = 0, lines_sent = 0, digest_lines = 0, outputs_digested = 0;
  std::size_t waiting_lines = 0;
  std::vector<std::string> starved_targets;  // targets with outputs left in the journal
};

class Dispatcher {
 public:
  using Planner = std::function<std::vector<Output>(const ingestion::IngestionEvent&)>;
  Dispatcher(ingestion::Journal& journal, Planner planner, IrcPort& irc, DispatcherOptions options);

  void pump();                                  // new events in the journal, or room in IRC
  void target_ready(const std::string& target);  // joined a channel
  void connection_lost();                        // everything in memory goes back to the journal
  DispatcherStats stats() const;

 private:
  void plan();
  void plan_event(const ingestion::IngestionEvent& event);
  void send_some();
  void delivered(const Send& send, bool ok);
  void mark_if_late(Send& send) const;
  bool settle(std::int64_t event_id);

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
    std::string what;     // "github/push from github", for the log line once delivered
    std::string targets;  // "#ops, #dev"
  };
  std::map<std::int64_t, Outstanding> outstanding_;
  std::map<std::string, std::int64_t> starved_;      // target → first event id left in the journal
  std::vector<std::int64_t> finished_;               // planned with nothing to say: done at the chunk's end
  std::size_t waiting_lines_ = 0;
  std::size_t in_flight_ = 0;
  std::uint64_t generation_ = 0;                     // bumped when the connection drops
  std::string next_target_;                          // round-robin position
  DispatcherStats stats_;
};

}  // namespace chatops::bot
