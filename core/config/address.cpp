#include "core/config/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace chatops::config {

Result<std::pair<std::string, int>> listen_address(const Node& node, const std::string& key, std::string_view example,
                                                   int min_port) {
  const auto text = node.str(key);
  const auto colon = text.rfind(':');
  const auto bad = [&] { return std::unexpected(node[key].error("expected host:port, e.g. " + std::string(example))); };
  if (colon == std::string::npos || colon == 0) return bad();
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  const auto digits = std::string_view(text).substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port < min_port || port > 65535) return bad();
  unsigned char address[sizeof(in6_addr)];
  if (::inet_pton(AF_INET, host.c_str(), address) != 1 && ::inet_pton(AF_INET6, host.c_str(), address) != 1)
    return std::unexpected(node[key].error("expected an IP address before the port (e.g. 127.0.0.1, 0.0.0.0, [::1]), got \"" +
                                           host + "\""));
  return std::pair{host, port};
}

}  // namespace chatops::config
