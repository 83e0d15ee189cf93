#pragma once
// A listening address in configuration: "host:port" or "[v6]:port", the host an IP address (a
// listener binds an address, not a name: resolving one could pick another interface).
#include <string>
#include <string_view>
#include <utility>

#include "core/config/node.hpp"

namespace chatops::config {

// node[key] as (host, port), port within [min_port, 65535]; errors point at it, with `example`.
Result<std::pair<std::string, int>> listen_address(const Node& node, const std::string& key, std::string_view example,
                                                   int min_port = 1);

}  // namespace chatops::config
