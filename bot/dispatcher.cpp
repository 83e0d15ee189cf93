#include "bot/dispatcher.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "bindings/bind_type.hpp"
#include "bindings/template.hpp"
#include "core/text/utf8.hpp"

namespace chatops::bot {

namespace {
constexpr std::size_t kPlanChunk = 256;
constexpr std::size_t kMaxTopicBytes = 100;   // of a failure said on IRC
constexpr std::size_t kMaxReasonBytes = 300;
}  // namespace

Dispatcher::Dispatcher(ingestion::Journal& journal, Planner planner, IrcPort& irc, DispatcherOptions options)
    : journal_(journal), planner_(std::move(planner)), irc_(irc), options_(options) {}

void Dispatcher::pump() {
  plan();
  send_some();
}

void Dispatcher::target_ready(const std::string& target) {
  auto it = starved_.find(target);
  if (it != starved_.end()) {
    // Walk again from the first event this target missed; outputs already delivered or in
    // memory are skipped, so the others' order and deliveries are untouched.
    walked_to_ = std::min(walked_to_, it->second - 1);
    starved_.erase(it);
  }
  pump();
}

void Dispatcher::connection_lost() {
  ++generation_;
  std::int64_t first = walked_to_ + 1;
  for (auto& [target, backlog] : backlogs_) {
    for (const auto& key : backlog.drain()) first = std::min(first, key.event_id);
  }
  for (const auto& [event_id, handler] : loaded_) {
    first = std::min(first, event_id);
    auto target = handler.substr(handler.find(':') + 1);
    auto [it, inserted] = starved_.emplace(target, event_id);
    if (!inserted) it->second = std::min(it->second, event_id);
  }
  backlogs_.clear();
  loaded_.clear();
  outstanding_.clear();
  waiting_lines_ = 0;
  in_flight_ = 0;
  walked_to_ = std::min(walked_to_, first - 1);
}

bool Dispatcher::has_room() {
  if (loaded_.size() >= options_.max_waiting_outputs || waiting_lines_ >= options_.max_waiting_lines) return false;
  std::size_t unsure = 0;
  for (const auto& [target, backlog] : backlogs_) unsure += backlog.unsure_lines();
  if (waiting_lines_ + unsure < options_.max_waiting_lines) return true;
  // Whether the lines not rendered yet fit is known only by rendering them.
  for (auto& [target, backlog] : backlogs_) {
    auto before = backlog.lines();
    backlog.render_all([this](Output& o) { return render(o); });
    waiting_lines_ += backlog.lines();
    waiting_lines_ -= before;
  }
  return waiting_lines_ < options_.max_waiting_lines;
}

void Dispatcher::coalesce() {
  for (auto& [target, backlog] : backlogs_) {
    auto before = backlog.lines();
    stats_.outputs_digested += backlog.coalesce(options_.coalesce_capacity, [this](Output& o) { return render(o); });
    waiting_lines_ += backlog.lines();
    waiting_lines_ -= before;
  }
}

bool Dispatcher::render(Output& output) {
  auto text = output.render();
  output.render = nullptr;
  if (text) {
    output.text = std::move(*text);
    return true;
  }
  const auto& key = output.key;
  loaded_.erase({key.event_id, key.handler});
  auto waiting = outstanding_.find(key.event_id);
  // Not outstanding: the event waits in the journal for another target, and is planned again.
  if (waiting == outstanding_.end()) return false;
  // Outputs are rendered (or folded) before their chunk's end, so their event is in it.
  const Failure failed{output.bind_index, {output.target}, text.error().message};
  const ingestion::IngestionEvent* event = nullptr;
  if (chunk_) {
    const auto found = std::ranges::lower_bound(*chunk_, key.event_id, {}, &ingestion::IngestionEvent::id);
    if (found != chunk_->end() && found->id == key.event_id) event = &*found;
  }
  const auto reason = event ? report(*event, failed) : "binds[" + std::to_string(output.bind_index) + "]: " + failed.reason;
  auto& failure = waiting->second.failure;
  // One reason per handler, as when it fails for all its targets while planning.
  if (failure.find(reason) == std::string::npos) failure += (failure.empty() ? "" : "; ") + reason;
  if (--waiting->second.outputs == 0) {
    finished_.emplace_back(key.event_id, std::move(failure));
    outstanding_.erase(waiting);
  }
  return false;
}

void Dispatcher::plan() {
  while (has_room()) {
    auto events = journal_.pending_events(walked_to_, kPlanChunk);
    if (!events) {
      spdlog::error("dispatcher: reading the journal failed: {}", events.error().message);
      return;
    }
    if (events->empty()) return;
    // No transaction is held while planning: it would hold off the commits of new events.
    chunk_ = &*events;
    for (const auto& event : *events) {
      plan_event(event);
      walked_to_ = event.id;
      if (!has_room()) break;
    }
    // Before the chunk's events are gone: what is said is rendered, what is digested only counted.
    coalesce();
    chunk_ = nullptr;
    if (!finished_.empty()) {
      ingestion::Journal::Batch batch(journal_);  // one transaction for the chunk's marks
      for (const auto& [id, failure] : finished_) settle(id, failure);
      finished_.clear();
      if (auto committed = batch.commit(); !committed)
        spdlog::error("dispatcher: marking events done failed: {}", committed.error().message);
    }
  }
}

Plan Dispatcher::plan_safely(const ingestion::IngestionEvent& event) {
  try {
    return planner_(event);
  } catch (const std::exception& e) {
    return Plan{{}, {Failure{std::nullopt, {}, e.what()}}};
  }
}

std::string Dispatcher::report(const ingestion::IngestionEvent& event, const Failure& failure) {
  const auto handler = failure.bind_index ? "binds[" + std::to_string(*failure.bind_index) + "]" : "dispatch";
  spdlog::error("dispatcher: event {} ({}): {} could not say it: {}", event.id, event.topic, handler, failure.reason);
  if (failure.bind_index && !failure.targets.empty()) {
    // Once per bind per interval: a stream of such events must not become a stream of errors.
    const auto now = std::chrono::steady_clock::now();
    auto [last, first] = failure_noticed_.try_emplace(*failure.bind_index, now);
    if (first || now - last->second >= options_.failure_notice_interval) {
      last->second = now;
      // Topics may come from headers: inert, like every other outside text said on IRC.
      const auto line = "[chatops] event " + std::to_string(event.id) + " (" +
                        text::shortened(bindings::inert_text(event.topic), kMaxTopicBytes) +
                        ") could not be said: " + text::shortened(bindings::inert_text(failure.reason), kMaxReasonBytes);
      for (const auto& target : failure.targets) irc_.say(Send{.target = target, .text = line}, [](bool) {});
    }
  }
  return handler + ": " + failure.reason;
}

void Dispatcher::plan_event(const ingestion::IngestionEvent& event) {
  ++stats_.events_planned;
  if (!bindings::is_ingestion_family(event.family)) {
    // No bind can take it: ended with the reason, never "done" as if it had been said.
    const auto reason = "no bind type takes events of family \"" + event.family + "\"";
    spdlog::error("dispatcher: event {} ({} from source {}) dropped: {}", event.id, event.topic, event.source, reason);
    if (auto failed = journal_.mark_failed(event.id, reason); !failed)
      spdlog::error("dispatcher: event {}: {}", event.id, failed.error().message);
    else
      ++stats_.events_failed;
    return;
  }
  if (options_.holds_source && options_.holds_source(event.source)) {
    starved_.emplace(held_target(event.source), event.id);  // keeps the first id
    outstanding_.erase(event.id);
    return;
  }
  auto [outputs, failures, waiting] = plan_safely(event);
  auto deliveries = journal_.deliveries(event.id);
  if (!deliveries) {
    spdlog::error("dispatcher: event {}: {}", event.id, deliveries.error().message);
    return;
  }
  // Rows of versions that keyed outputs by the bind's position ("3:#ops"; bind keys start with a letter).
  const auto positional = [](const std::string& key) { return !key.empty() && key.front() >= '0' && key.front() <= '9'; };
  std::set<std::string> done;  // said (or digested) before, e.g. before a restart
  bool positional_rows = false;
  for (const auto& d : *deliveries) {
    if (d.state == ingestion::DeliveryState::Pending) continue;
    done.insert(d.handler_key);
    positional_rows |= positional(d.handler_key);
  }
  const auto said_before = [&](const Output& o) {
    return done.contains(o.key.handler) || (positional_rows && !positional(o.key.handler) &&
                                            done.contains(std::to_string(o.bind_index) + ":" + o.target));
  };
  std::size_t outstanding = 0;
  bool left_in_journal = false;
  std::set<std::string> targets;
  for (auto& o : outputs) {
    if (said_before(o)) continue;
    ++outstanding;
    targets.insert(o.target);
    auto loaded_key = std::make_pair(event.id, o.key.handler);
    if (loaded_.contains(loaded_key)) continue;
    if (!irc_.can_speak_to(o.target)) {
      starved_.emplace(o.target, event.id);  // keeps the first id
      left_in_journal = true;
      continue;
    }
    loaded_.insert(loaded_key);
    auto& backlog = backlogs_[o.target];
    auto before = backlog.lines();
    backlog.push(std::move(o));
    waiting_lines_ += backlog.lines() - before;
  }
  // A failure is told where its handler would have spoken; until it can be, the event waits too.
  for (const auto& f : failures)
    for (const auto& target : f.targets)
      if (!irc_.can_speak_to(target)) {
        starved_.emplace(target, event.id);
        left_in_journal = true;
      }
  for (const auto& name : waiting) {
    starved_.emplace(name, event.id);
    left_in_journal = true;
  }
  if (left_in_journal) {
    outstanding_.erase(event.id);  // completed by a later walk, when its targets are ready
    return;
  }
  std::string failure;
  for (const auto& f : failures) failure += (failure.empty() ? "" : "; ") + report(event, f);
  if (outstanding == 0)
    finished_.emplace_back(event.id, std::move(failure));  // nothing to say, or all said before a restart
  else {
    std::string said_to;
    for (const auto& target : targets) said_to += (said_to.empty() ? "" : ", ") + target;
    outstanding_[event.id] = {outstanding, event.time, std::move(failure), event.topic + " from " + event.source,
                              std::move(said_to)};
  }
}

void Dispatcher::send_some() {
  while (in_flight_ < options_.in_flight_lines && waiting_lines_ > 0) {
    // Round-robin over targets: the first target after the one served last.
    auto it = backlogs_.upper_bound(next_target_);
    for (std::size_t tries = 0; tries <= backlogs_.size(); ++tries) {
      if (it == backlogs_.end()) it = backlogs_.begin();
      if (!it->second.empty()) break;
      ++it;
    }
    if (it == backlogs_.end() || it->second.empty()) return;
    next_target_ = it->first;
    auto before = it->second.lines();
    Send send = it->second.pop();
    waiting_lines_ -= before - it->second.lines();
    if (it->second.empty()) backlogs_.erase(it);
    in_flight_ += send.lines();
    if (!send.digested.empty()) ++stats_.digest_lines;
    mark_if_late(send);
    auto generation = generation_;
    irc_.say(send, [this, send, generation](bool ok) {
      if (generation != generation_) return;  // already handed back to the journal
      delivered(send, ok);
    });
  }
}

void Dispatcher::delivered(const Send& send, bool ok) {
  in_flight_ -= std::min(in_flight_, send.lines());
  if (!ok) {
    // The link dropped: connection_lost() gives everything back to the journal.
    return;
  }
  stats_.lines_sent += send.lines();
  auto finish = [&](const DeliveryKey& key, bool digested) {
    auto marked = digested ? journal_.mark_digested(key.event_id, key.handler)
                           : journal_.mark_sent(key.event_id, key.handler, static_cast<std::int64_t>(send.lines()));
    if (!marked) spdlog::error("dispatcher: event {}: {}", key.event_id, marked.error().message);
    loaded_.erase({key.event_id, key.handler});
    auto it = outstanding_.find(key.event_id);
    if (it != outstanding_.end() && --it->second.outputs == 0) {
      Outstanding done_event = std::move(it->second);
      outstanding_.erase(it);
      if (!settle(key.event_id, done_event.failure)) return;
      const auto latency = std::chrono::system_clock::now() - done_event.received;
      spdlog::info("event {} delivered: {} to {}, {} ms after it arrived", key.event_id, done_event.what,
                   done_event.targets, std::chrono::duration_cast<std::chrono::milliseconds>(latency).count());
      if (options_.on_latency) options_.on_latency(latency);
    }
  };
  {
    ingestion::Journal::Batch batch(journal_);  // a digest marks many outputs at once
    for (const auto& key : send.sent) finish(key, false);
    for (const auto& key : send.digested) finish(key, true);
    if (auto committed = batch.commit(); !committed)
      spdlog::error("dispatcher: recording deliveries failed: {}", committed.error().message);
  }
  pump();
}

void Dispatcher::mark_if_late(Send& send) const {
  if (options_.late_after.count() <= 0 || send.sent.empty()) return;
  const auto age = std::chrono::system_clock::now() - send.received;
  if (age > options_.late_after)
    send.text = late_marker(std::chrono::duration_cast<std::chrono::seconds>(age)) + " " + send.text;
}

bool Dispatcher::settle(std::int64_t event_id, const std::string& failure) {
  if (auto done = failure.empty() ? journal_.mark_done(event_id) : journal_.mark_failed(event_id, failure); !done) {
    spdlog::error("dispatcher: event {}: {}", event_id, done.error().message);
    return false;
  }
  ++(failure.empty() ? stats_.events_done : stats_.events_failed);
  return true;
}

DispatcherStats Dispatcher::stats() const {
  DispatcherStats s = stats_;
  s.waiting_lines = waiting_lines_;
  s.held_outputs = loaded_.size();
  for (const auto& [target, first] : starved_) s.starved_targets.push_back(target);
  return s;
}

}  // namespace chatops::bot
