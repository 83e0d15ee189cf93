#pragma once
// The problems of a configuration, gathered from every check (the schema, the sources, the binds,
// the listener…) and told as --check and start-up tell them: each line once, in the order of the
// file, and nothing more at a place whose value could not be read at all (an unset ${NAME}).
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace chatops::bot {

class ConfigProblems {
 public:
  // `file`: the configuration's name, which every located message starts with.
  explicit ConfigProblems(std::string file) : file_(std::move(file)) {}

  // One or more lines ("file:line:column: path: what").
  void add(const Error& error);
  // A value whose ${NAME} is unset: other problems at its place are its consequences.
  void add_unreadable(const std::string& line);

  bool empty() const { return problems_.empty(); }
  // One line per problem, by position in the file (unlocated ones first).
  std::string text() const;

 private:
  struct Problem {
    int line = 0, column = 0;  // 0: not located
    std::string location;      // "file:line:column", "" when not located
    std::string text;
  };
  Problem parse(const std::string& line) const;
  void insert(Problem problem);

  std::string file_;
  std::vector<Problem> problems_;
  std::set<std::string> lines_;       // each once
  std::set<std::string> unreadable_;  // locations of unset variables
};

}  // namespace chatops::bot
