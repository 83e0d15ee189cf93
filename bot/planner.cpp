#include "bot/planner.hpp"

namespace chatops::bot {

std::string scope_of(const nlohmann::json& fields) {
  for (const char* key : {"repo", "project", "group", "job", "service"}) {
    auto it = fields.find(key);
    if (it != fields.end() && it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  }
  return "";
}

std::vector<Output> Planner::plan(bindings::BindTable& binds, const ingestion::IngestionEvent& event) {
  std::vector<Output> outputs;
  event_ = &event;
  outputs_ = &outputs;
  binds.dispatch(event);
  event_ = nullptr;
  outputs_ = nullptr;
  return outputs;
}

void Planner::say(const std::string& target, const std::string& text, bool notice, const bindings::Delivery& d) {
  if (!outputs_) {  // IRC- or clock-triggered: nothing to journal
    if (notice)
      irc_.notice(target, text);
    else
      irc_.say(target, text);
    return;
  }
  Output o;
  const auto bind = std::to_string(d.bind_index);
  o.key = {event_->id, bind + ":" + target};
  o.target = target;
  o.text = text;
  o.notice = notice;
  auto what = event_->fields.find("what");
  o.what = what != event_->fields.end() && what->is_string() ? what->get<std::string>() : "events";
  o.scope = scope_of(event_->fields);
  o.received = event_->time;
  // Alert groups collapse per group and status (the topic carries the status).
  auto group = event_->fields.find("group_key");
  o.digest_group = bind + "|" + event_->topic + "|" +
                   (group != event_->fields.end() && group->is_string() ? group->get<std::string>() : o.scope);
  outputs_->push_back(std::move(o));
}

}  // namespace chatops::bot
