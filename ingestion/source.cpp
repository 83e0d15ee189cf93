#include "ingestion/source.hpp"

namespace chatops::ingestion {

std::string_view to_string(SourceState s) {
  switch (s) {
    case SourceState::Starting: return "starting";
    case SourceState::Running: return "running";
    case SourceState::Retrying: return "retrying";
    case SourceState::Failed: return "failed";
    case SourceState::Stopped: return "stopped";
  }
  return "unknown";
}

std::string_view to_string(ErrorKind k) {
  return k == ErrorKind::Configuration ? "configuration" : "transient";
}

void StatusCounters::fail(const SourceError& error, SourceState state) {
  {
    std::lock_guard lock(error_mutex_);
    last_error_ = error.message;
    error_kind_ = error.kind;
  }
  state_.store(state);
}

void StatusCounters::set_error(std::string message) {
  std::lock_guard lock(error_mutex_);
  last_error_ = std::move(message);
  error_kind_.reset();
}

IngestionStatus StatusCounters::snapshot() const {
  IngestionStatus s;
  s.state = state_.load();
  s.consumed = consumed.load();
  s.processed = processed.load();
  s.skipped = skipped.load();
  s.failed = failed.load();
  s.committed = committed.load();
  std::lock_guard lock(error_mutex_);
  s.last_error = last_error_;
  s.error_kind = error_kind_;
  return s;
}

}  // namespace chatops::ingestion
