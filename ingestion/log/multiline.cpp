#include "ingestion/log/multiline.hpp"

#include <algorithm>

namespace chatops::ingestion::log {

Result<std::optional<MultilineOptions>> multiline_options(const config::Node& v) {
  if (!v.has("multiline")) return std::nullopt;
  const auto m = v.map("multiline");
  if (m.has("start") == m.has("continuation"))
    return std::unexpected(m.error("give exactly one of start, continuation"));
  const std::string key = m.has("start") ? "start" : "continuation";
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(m.str(key), options);
  if (!re->ok()) return std::unexpected(m[key].error("not a valid RE2 pattern: " + re->error()));
  MultilineOptions o;
  (key == "start" ? o.start : o.continuation) = std::move(re);
  o.timeout = m.duration("timeout");
  o.max_lines = static_cast<std::size_t>(m.integer("max_lines"));
  o.max_bytes = v.size("max_line_bytes");
  return o;
}

bool Joiner::begins_record(const std::string& text) const {
  return o_.start ? RE2::PartialMatch(text, *o_.start) : !RE2::PartialMatch(text, *o_.continuation);
}

void Joiner::add(std::vector<Line>& lines, std::vector<Line>& out, Clock::time_point now) {
  for (auto& line : lines) {
    const std::pair key{line.device, line.inode};
    auto it = pending_.find(key);
    // A line before the record's start: the file was truncated, the record is over.
    if (it == pending_.end() || begins_record(line.text) || line.offset < it->second.record.offset) {
      // A continuation without a record before it (the file was joined mid-record) begins one.
      if (it != pending_.end()) out.push_back(std::move(it->second.record));
      pending_[key] = Pending{std::move(line), 1, now};
      continue;
    }
    auto& p = it->second;
    p.last = now;
    auto& text = p.record.text;
    if (++p.lines > o_.max_lines || text.size() >= o_.max_bytes) {
      p.record.cut = true;
      continue;
    }
    text += '\n';
    const auto room = o_.max_bytes - std::min(o_.max_bytes, text.size());
    if (line.text.size() > room || line.cut) p.record.cut = true;
    text.append(line.text, 0, room);
  }
}

void Joiner::flush(std::vector<Line>& out, Clock::time_point now, const std::vector<Checkpoint>& followed) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    // Not followed any more (closed), or truncated since: the record is over.
    const bool still_followed = std::ranges::any_of(followed, [&](const Checkpoint& c) {
      return c.device == it->first.first && c.inode == it->first.second && c.offset >= it->second.record.offset;
    });
    if (still_followed && now - it->second.last < o_.timeout) {
      ++it;
      continue;
    }
    out.push_back(std::move(it->second.record));
    it = pending_.erase(it);
  }
}

void Joiner::hold_back(std::vector<Checkpoint>& checkpoints) const {
  for (auto& c : checkpoints)
    if (const auto it = pending_.find({c.device, c.inode}); it != pending_.end()) {
      c.offset = it->second.record.offset;
      c.discarding = false;
    }
}

std::optional<Joiner::Clock::time_point> Joiner::next_deadline() const {
  std::optional<Clock::time_point> first;
  for (const auto& [key, p] : pending_)
    if (!first || p.last + o_.timeout < *first) first = p.last + o_.timeout;
  return first;
}

}  // namespace chatops::ingestion::log
