#include "ingestion/sink.hpp"

#include <algorithm>
#include <future>

namespace chatops::ingestion {

std::string_view to_string(Submission s) {
  switch (s) {
    case Submission::Accepted: return "accepted";
    case Submission::Duplicate: return "duplicate";
    case Submission::Refused: return "refused";
  }
  return "unknown";
}

std::size_t BatchResult::count(Submission s) const {
  return static_cast<std::size_t>(std::count(outcomes.begin(), outcomes.end(), s));
}

BatchResult BatchResult::refused(std::size_t events, std::string why) {
  return {std::vector<Submission>(events, Submission::Refused), std::vector<std::int64_t>(events, 0), std::move(why)};
}

BatchResult EventSink::submit_and_wait(EventBatch batch) {
  std::promise<BatchResult> answer;
  auto result = answer.get_future();
  submit(std::move(batch), [&answer](const BatchResult& r) { answer.set_value(r); });
  return result.get();
}

Submission EventSink::submit_one(IngestionEvent event) {
  EventBatch batch{event.source, {}, std::nullopt};
  batch.events.push_back(std::move(event));
  return submit_and_wait(std::move(batch)).outcomes.front();
}

}  // namespace chatops::ingestion
