#pragma once
// A condition on one field of an event, from a bind's `filter:` map:
//   filter: {action: [opened, closed], "repository.full_name": "org/*", /labels/0/name: bug,
//            value: {gt: 90}, status: {gte: 500, lt: 600}}
// The path is a JSON pointer ("/a/b") or dotted ("a.b", "commits.0.id"). With patterns, the field
// matches when its text matches one of them (`*`, `?` wildcards, ASCII case-insensitive). With
// comparisons (core/condition.hpp), it matches when it is a number, or a text that is one
// ("95.3", as log fields are), for which every comparison holds. An array field matches when one
// of its elements does; a missing field, an object or null never matches.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/condition.hpp"
#include "core/error.hpp"

namespace chatops::bindings {

class FieldFilter {
 public:
  static Result<FieldFilter> parse(const std::string& path, std::vector<std::string> patterns);
  static Result<FieldFilter> parse(const std::string& path, std::vector<Condition> comparisons);
  bool matches(const nlohmann::json& fields) const;
  const std::string& path() const { return path_; }

 private:
  static Result<FieldFilter> at(const std::string& path);
  bool matches_scalar(const nlohmann::json& value) const;
  bool matches_number(const nlohmann::json& value) const;

  std::string path_;  // as written
  nlohmann::json::json_pointer pointer_;
  std::vector<std::string> patterns_;    // or
  std::vector<Condition> comparisons_;  // all must hold
};

}  // namespace chatops::bindings
