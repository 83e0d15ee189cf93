#include "bot/config_problems.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace chatops::bot {

ConfigProblems::Problem ConfigProblems::parse(const std::string& line) const {
  Problem p{0, 0, "", line};
  if (!line.starts_with(file_ + ":")) return p;
  const char* at = line.data() + file_.size() + 1;
  const char* end = line.data() + line.size();
  auto [after_line, e1] = std::from_chars(at, end, p.line);
  if (e1 != std::errc{} || after_line == end || *after_line != ':') return {0, 0, "", line};
  auto [after_column, e2] = std::from_chars(after_line + 1, end, p.column);
  if (e2 != std::errc{}) return {0, 0, "", line};
  p.location = std::string(line.data(), after_column);
  return p;
}

void ConfigProblems::insert(Problem problem) {
  if (problem.text.empty() || !lines_.insert(problem.text).second) return;
  problems_.push_back(std::move(problem));
}

void ConfigProblems::add(const Error& error) {
  for (std::size_t start = 0; start <= error.message.size();) {
    const std::size_t end = std::min(error.message.find('\n', start), error.message.size());
    auto problem = parse(error.message.substr(start, end - start));
    if (problem.location.empty() || !unreadable_.contains(problem.location)) insert(std::move(problem));
    start = end + 1;
  }
}

void ConfigProblems::add_unreadable(const std::string& line) {
  auto problem = parse(line);
  if (!problem.location.empty()) {
    unreadable_.insert(problem.location);
    // What was said there before it was known to be unreadable goes too.
    std::erase_if(problems_, [&](const Problem& p) { return p.location == problem.location; });
  }
  insert(std::move(problem));
}

std::string ConfigProblems::text() const {
  std::vector<const Problem*> sorted;
  for (const auto& p : problems_) sorted.push_back(&p);
  std::ranges::stable_sort(sorted, [](const Problem* a, const Problem* b) {
    return std::tie(a->line, a->column) < std::tie(b->line, b->column);
  });
  std::string out;
  for (const Problem* p : sorted) out += (out.empty() ? "" : "\n") + p->text;
  return out;
}

}  // namespace chatops::bot
