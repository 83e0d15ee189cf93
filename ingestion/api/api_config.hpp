#pragma once
// The keys of a `kind: api` source, declared once (validation, defaults and the configuration
// reference come from here), and what they say, checked.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/node.hpp"
#include "ingestion/api/auth.hpp"
#include "ingestion/api/differ.hpp"
#include "ingestion/api/http_client.hpp"
#include "ingestion/api/url.hpp"
#include "ingestion/payload/mapping.hpp"
#include "ingestion/runtime/polling.hpp"

namespace chatops::ingestion::api {

struct Pagination {
  bool link_header = false;                 // follow Link: <…>; rel="next"
  std::optional<std::string> next_pointer;  // or the value at this pointer of each page
  std::string cursor_param;                 // …which is a cursor for this query parameter (else a URL)
  int max_pages = 10;
};

struct ApiConfig {
  std::string name;
  HttpRequest request;  // the first page's
  AuthConfig auth;
  DiffOptions diff;     // announce is the poller's to set
  bool first_poll_emits = false;
  std::optional<Pagination> pagination;
  bool conditional = true;  // If-None-Match / If-Modified-Since
  TlsOptions tls;
  PollOptions poll;
};

inline constexpr payload::MappingKeys kApiMappingKeys{.headers = false, .topic_required = false};

// The kind's keys: the common source keys, the poll keys and the mapping keys included.
config::Schema api_source_schema();
config::Schema pagination_schema();

// From a validated entry; errors say file:line:column and the key.
Result<ApiConfig> api_config(const config::Node& validated);

}  // namespace chatops::ingestion::api
