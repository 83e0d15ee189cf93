#include "bot/planner.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "bot/irc/split.hpp"
#include "ingestion/field_lookup.hpp"

namespace chatops::bot {

std::string capped_text(const std::string& text, std::size_t width, std::size_t max_lines, std::int64_t event_id) {
  // Below 4 bytes nothing fits (a target name too long): the IRC client refuses the target.
  auto fitted = irc::fit_lines(text, std::max<std::size_t>(width, 4), max_lines);
  std::string out;
  for (const auto& line : fitted.lines) out += (out.empty() ? "" : "\n") + line;
  if (fitted.left_out > 0) {
    out += "\n… " + std::to_string(fitted.left_out) + (fitted.left_out == 1 ? " more line" : " more lines") +
           " not said" + (event_id ? " (event " + std::to_string(event_id) + ")" : "");
  }
  return out;
}

Plan Planner::plan(bindings::BindTable& binds, const ingestion::IngestionEvent& event) {
  Plan plan;
  event_ = &event;
  plan_ = &plan;
  binds.dispatch(event);
  event_ = nullptr;
  plan_ = nullptr;
  return plan;
}

void Planner::say(const bindings::Utterance& u) {
  const auto width = irc_.line_width(u.target, u.notice);
  if (!plan_) {  // IRC- or clock-triggered: nothing to journal
    auto text = u.render ? u.render() : Result<std::string>(u.text);
    if (!text) {
      spdlog::error("binds[{}]: could not say anything: {}", u.delivery.bind_index, text.error().message);
      return;
    }
    irc_.say(Send{.target = u.target, .text = capped_text(*text, width, u.max_lines, u.delivery.event_id), .notice = u.notice},
             [](bool) {});
    return;
  }
  Output o;
  if (u.render) {
    o.render = [render = u.render, width, max_lines = u.max_lines, id = u.delivery.event_id]() -> Result<std::string> {
      auto text = render();
      if (!text) return text;
      return capped_text(*text, width, max_lines, id);
    };
    o.max_lines = std::max<std::size_t>(u.max_lines, 1) + 1;  // and "… n more lines not said"
  } else {
    o.text = capped_text(u.text, width, u.max_lines, u.delivery.event_id);
  }
  const auto& bind = u.delivery.bind_key;
  o.key = {event_->id, bind + ":" + u.target};
  o.bind_index = u.delivery.bind_index;
  o.target = u.target;
  o.notice = u.notice;
  // Read without building the fields' object (Output::render does, if it is said). The scope,
  // which a digest line names as the place of a burst, is the first of these the event has.
  auto named = ingestion::field_strings(event_->fields, {"what", "group_key", "repo", "project", "group", "job", "service"});
  o.what = named[0].value_or("events");
  for (std::size_t i = 2; i < named.size() && o.scope.empty(); ++i) o.scope = named[i].value_or("");
  o.received = event_->time;
  // Alert groups collapse per group and status (the topic carries the status).
  o.digest_group = bind + "|" + event_->topic + "|" + (named[1] ? *named[1] : o.scope);
  plan_->outputs.push_back(std::move(o));
}

void Planner::cannot_say(const std::vector<std::string>& targets, const std::string& reason,
                         const bindings::Delivery& d) {
  if (plan_) {
    plan_->failures.push_back({d.bind_index, targets, reason});
    return;
  }
  spdlog::error("binds[{}]: could not say anything: {}", d.bind_index, reason);
}

void Planner::later(const std::string& waiting_for, const bindings::Delivery& d) {
  if (plan_) plan_->waiting.push_back(waiting_for);
  else spdlog::error("binds[{}]: a handler answered later outside an event", d.bind_index);
}

void Planner::handler_failed(const bindings::Origin& origin, const std::string& what) {
  // Logged by the bind table already; an event is marked failed with it.
  if (plan_) plan_->failures.push_back({std::nullopt, {}, "the handler declared at " + origin.where + " failed: " + what});
}

}  // namespace chatops::bot
