#pragma once
// Where the nodes of a loaded document are (core/config's own files; it needs yaml-cpp).
#include <string>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

namespace chatops::config::detail {

struct Position {
  YAML::Mark key;    // of the key naming the node (the node's own mark for items and the root)
  YAML::Mark value;  // the key's mark again when the value is null (a null has no useful mark)
};
struct Positions : std::unordered_map<std::string, Position> {};  // by path

}  // namespace chatops::config::detail
