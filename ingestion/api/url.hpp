#pragma once
// The URLs an API poller asks: the configured one (with its query parameters), the pages a server
// points to (absolute or relative), and the form they take in messages (without the query, which
// may carry an API key).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace chatops::ingestion::api {

struct Url {
  std::string scheme;  // http or https
  std::string host;    // as written (an IPv6 literal keeps its brackets)
  int port = 0;
  std::string target;  // path and query; "/" at least

  // scheme://host:port, what httplib's client takes.
  std::string origin() const;
  std::string text() const;
  // scheme://host[:port]/path, for messages: the query may carry credentials.
  std::string display() const;
  std::string path() const;  // the target without its query
  bool operator==(const Url&) const = default;
};

// An absolute http(s) URL without user info or fragment, in printable ASCII. Errors say what is
// wrong without repeating the text.
Result<Url> parse_url(std::string_view text);

// `reference` (absolute, //host…, /path, ?query or a relative path) against `base`, as a server's
// Link header or next-page field gives it; nullopt when it is not a usable URL.
std::optional<Url> resolve(const Url& base, std::string_view reference);

// `url` with name=value pairs appended to its query, percent-encoded.
Url with_query(Url url, const std::vector<std::pair<std::string, std::string>>& params);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percent_encode(std::string_view text);

}  // namespace chatops::ingestion::api
