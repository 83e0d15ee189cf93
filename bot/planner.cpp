#include "bot/planner.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "bot/irc/split.hpp"

namespace chatops::bot {

std::string scope_of(const nlohmann::json& fields) {
  for (const char* key : {"repo", "project", "group", "job", "service"}) {
    auto it = fields.find(key);
    if (it != fields.end() && it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  }
  return "";
}

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
  auto text = capped_text(u.text, irc_.line_width(u.target, u.notice), u.max_lines, u.delivery.event_id);
  if (!plan_) {  // IRC- or clock-triggered: nothing to journal
    irc_.say(Send{.target = u.target, .text = std::move(text), .notice = u.notice}, [](bool) {});
    return;
  }
  Output o;
  const auto& bind = u.delivery.bind_key;
  o.key = {event_->id, bind + ":" + u.target};
  o.bind_index = u.delivery.bind_index;
  o.target = u.target;
  o.text = std::move(text);
  o.notice = u.notice;
  auto what = event_->fields.find("what");
  o.what = what != event_->fields.end() && what->is_string() ? what->get<std::string>() : "events";
  o.scope = scope_of(event_->fields);
  o.received = event_->time;
  // Alert groups collapse per group and status (the topic carries the status).
  auto group = event_->fields.find("group_key");
  o.digest_group = bind + "|" + event_->topic + "|" +
                   (group != event_->fields.end() && group->is_string() ? group->get<std::string>() : o.scope);
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
