#include "ingestion/log/line_filter.hpp"

#include <algorithm>

namespace chatops::ingestion::log {

namespace {

Result<std::shared_ptr<RE2::Set>> compile(const std::vector<std::pair<std::string, config::Node>>& patterns) {
  RE2::Options options;
  options.set_log_errors(false);
  // Room for the DFA of a hundred patterns: with less, a match can fail for want of memory.
  options.set_max_mem(64 << 20);
  auto set = std::make_shared<RE2::Set>(options, RE2::UNANCHORED);
  for (const auto& [pattern, node] : patterns) {
    std::string error;
    if (set->Add(pattern, &error) < 0) return std::unexpected(node.error("not a valid RE2 pattern: " + error));
  }
  if (!set->Compile()) return std::unexpected(Error{"the line patterns need more memory than RE2 allows"});
  return set;
}

bool topic_part(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

}  // namespace

Result<LineFilter> LineFilter::from_config(const config::Node& v) {
  LineFilter f;
  if (v.has("match")) {
    const auto map = v.map("match");
    std::vector<std::pair<std::string, config::Node>> patterns;
    for (const auto& name : map.keys()) {
      if (!topic_part(name)) return std::unexpected(map[name].error("a pattern's name is letters, digits, _ - or ."));
      if (!map[name].is_scalar()) return std::unexpected(map[name].error("expected a pattern (text)"));
      patterns.emplace_back(map[name].scalar(), map[name]);
      f.names_.push_back(name);
    }
    if (!patterns.empty()) {
      auto set = compile(patterns);
      if (!set) return std::unexpected(set.error());
      f.match_ = std::move(*set);
    }
  }
  f.unmatched_events_ = v.str("unmatched") == "event";
  if (v.has("exclude")) {
    std::vector<std::pair<std::string, config::Node>> patterns;
    for (const auto& item : v.list("exclude")) patterns.emplace_back(item.scalar(), item);
    if (!patterns.empty()) {
      auto set = compile(patterns);
      if (!set) return std::unexpected(set.error());
      f.exclude_ = std::move(*set);
    }
  }
  return f;
}

std::optional<std::string_view> LineFilter::topic_of(std::string_view line) const {
  if (exclude_ && exclude_->Match(line, nullptr)) return std::nullopt;
  if (!match_) return "line";
  // Most lines match nothing: asking whether any pattern matches lets the DFA stop early; which
  // ones match is asked only of the lines that do.
  const std::optional<std::string_view> unmatched =
      unmatched_events_ ? std::optional<std::string_view>("unmatched") : std::nullopt;
  if (!match_->Match(line, nullptr)) return unmatched;
  std::vector<int> found;
  if (!match_->Match(line, &found)) return unmatched;
  return names_[static_cast<std::size_t>(*std::ranges::min_element(found))];
}

}  // namespace chatops::ingestion::log
