#pragma once
// A condition on one field of an event, from a bind's `filter:` map:
//   filter: {action: [opened, closed], "repository.full_name": "org/*", /labels/0/name: bug}
// The path is a JSON pointer ("/a/b") or dotted ("a.b", "commits.0.id"). The field matches when
// its text matches one of the patterns (`*`, `?` wildcards, ASCII case-insensitive); an array
// field matches when one of its elements does; a missing field, an object or null never matches.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace chatops::bindings {

class FieldFilter {
 public:
  static Result<FieldFilter> parse(const std::string& path, std::vector<std::string> patterns);
  bool matches(const nlohmann::json& fields) const;
  const std::string& path() const { return path_; }

 private:
  bool matches_scalar(const nlohmann::json& value) const;

  std::string path_;  // as written
  nlohmann::json::json_pointer pointer_;
  std::vector<std::string> patterns_;
};

}  // namespace chatops::bindings
