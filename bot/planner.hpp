#pragma once
// Turns an event into its outputs by running it through the bind table: config-declared `say`
// handlers speak to the Planner, which collects what they say (for the dispatcher, which tracks
// each output in the journal) and what they could not say. What binds triggered by IRC or the
// clock say goes straight out.
//
// Every text becomes here the IRC lines it will be sent as (sanitised, split to the target's line
// width) and is capped at its bind's max_lines, the rest summarised in one line, so that the
// backlog counts real lines and one huge event cannot hold a channel.
#include <vector>

#include "bindings/bind_table.hpp"
#include "bindings/speaker.hpp"
#include "bot/backlog.hpp"
#include "bot/dispatcher.hpp"

namespace chatops::bot {

class Planner final : public bindings::Speaker {
 public:
  explicit Planner(IrcPort& irc) : irc_(irc) {}

  Plan plan(bindings::BindTable& binds, const ingestion::IngestionEvent& event);
  void say(const bindings::Utterance& utterance) override;
  void cannot_say(const std::vector<std::string>& targets, const std::string& reason,
                  const bindings::Delivery& delivery) override;
  void later(const std::string& waiting_for, const bindings::Delivery& delivery) override;
  // An event's outputs are rendered by the dispatcher, once it knows they are said.
  bool renders_later() const override { return true; }
  // For BindTable::on_handler_failure: a handler threw while the table dispatched.
  void handler_failed(const bindings::Origin& origin, const std::string& what);

 private:
  IrcPort& irc_;
  const ingestion::IngestionEvent* event_ = nullptr;  // while planning
  Plan* plan_ = nullptr;
};

// `text` as the IRC lines it is sent as (joined by "\n") for lines of `width` bytes: at most
// `max_lines` of them, then "… 629 more lines not said (event 123)" when there were more.
std::string capped_text(const std::string& text, std::size_t width, std::size_t max_lines, std::int64_t event_id);

}  // namespace chatops::bot
