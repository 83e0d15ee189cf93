#pragma once
// Turns an event into its outputs by running it through the bind table: config-declared `say`
// handlers speak to the Planner, which collects what they say (for the dispatcher, which tracks
// each output in the journal). What binds triggered by IRC or the clock say goes straight out.
#include <vector>

#include "bindings/bind_table.hpp"
#include "bindings/speaker.hpp"
#include "bot/backlog.hpp"
#include "bot/irc/client.hpp"

namespace chatops::bot {

class Planner final : public bindings::Speaker {
 public:
  explicit Planner(irc::Client& irc) : irc_(irc) {}

  std::vector<Output> plan(bindings::BindTable& binds, const ingestion::IngestionEvent& event);
  void say(const std::string& target, const std::string& text, bool notice, const bindings::Delivery& d) override;

 private:
  irc::Client& irc_;
  const ingestion::IngestionEvent* event_ = nullptr;  // while planning
  std::vector<Output>* outputs_ = nullptr;
};

// What a digest line names as the place of a burst: the first of these fields the event has.
std::string scope_of(const nlohmann::json& fields);

}  // namespace chatops::bot
