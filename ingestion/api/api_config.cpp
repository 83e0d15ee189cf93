#include "ingestion/api/api_config.hpp"

#include <filesystem>

#include "ingestion/payload/json.hpp"
#include "ingestion/source_registry.hpp"

namespace chatops::ingestion::api {

namespace {

Result<std::optional<std::string>> optional_pointer(const config::Node& node, std::string_view key) {
  if (!node.has(key)) return std::nullopt;
  auto p = payload::compile_pointer(node.str(key));
  if (!p) return std::unexpected(node[key].error(p.error().message));
  return std::optional<std::string>(std::move(*p));
}

bool line_safe(std::string_view s) {
  return std::ranges::none_of(s, [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// name → value pairs of a free-form map, in document order.
Result<std::vector<std::pair<std::string, std::string>>> pairs(const config::Node& node, std::string_view key,
                                                               bool header_names) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!node.has(key)) return out;
  const auto map = node.map(key);
  for (const auto& name : map.keys()) {
    if (!map[name].is_scalar()) return std::unexpected(map[name].error("expected a text value"));
    const auto value = map[name].scalar();
    if (header_names && !payload::is_token(name))
      return std::unexpected(map[name].error("a header name is printable ASCII without spaces"));
    if (!line_safe(value)) return std::unexpected(map[name].error("may not hold a line break or NUL"));
    out.emplace_back(name, value);
  }
  return out;
}

Result<Pagination> pagination_from(const config::Node& node) {
  Pagination p;
  p.link_header = node.boolean("link_header");
  auto next = optional_pointer(node, "next_pointer");
  if (!next) return std::unexpected(next.error());
  p.next_pointer = std::move(*next);
  if (node.has("cursor_param")) {
    if (!p.next_pointer) return std::unexpected(node["cursor_param"].error("goes with next_pointer"));
    p.cursor_param = node.str("cursor_param");
  }
  if (!p.link_header && !p.next_pointer)
    return std::unexpected(node.error("say how the next page is found: link_header: true, or next_pointer"));
  p.max_pages = static_cast<int>(node.integer("max_pages"));
  return p;
}

}  // namespace

config::Schema pagination_schema() {
  config::Schema s("pagination", "How the next page of a listing is found. Pages are read one after another within "
                                 "the run's timeout, and their items compared as one listing.");
  s.field("link_header", config::Kind::Boolean, "Follow the Link header's rel=\"next\" (GitHub, GitLab, RFC 8288).")
      .fallback("false");
  s.field("next_pointer", config::Kind::String,
          "JSON pointer to the next page in each answer: a URL (absolute or relative), or a cursor when cursor_param "
          "is given. Absent, null or empty: the last page.")
      .example("/links/next");
  s.field("cursor_param", config::Kind::String,
          "The query parameter that takes the cursor at next_pointer (added to url for the next page).")
      .example("cursor");
  s.field("max_pages", config::Kind::Integer, "At most this many pages per run (the rest waits for the next run).")
      .fallback("10")
      .range(1, 1000);
  return s;
}

config::Schema api_source_schema() {
  config::Schema s("api", "");
  s.field("url", config::Kind::String,
          "The API's URL (http or https). Credentials go in auth:, not in the URL.")
      .required()
      .example("https://api.github.com/repos/OWNER/REPO/releases");
  s.field("method", config::Kind::String, "HTTP method.").fallback("GET").one_of({"GET", "POST"});
  s.field("headers", config::Kind::Map, "Request headers: name → value.").example("{Accept: application/vnd.github+json}");
  s.field("query", config::Kind::Map, "Query parameters added to url (percent-encoded): name → value.")
      .example("{per_page: 100}");
  s.field("body", config::Kind::String, "Request body (with method: POST), e.g. a GraphQL query.");
  s.field("content_type", config::Kind::String, "Content-Type of body.").fallback("application/json");
  s.field("auth", config::Kind::Map, "Credentials (see auth below).").schema(auth_schema());
  s.field("items", config::Kind::String,
          "JSON pointer to the list of items in the answer; \"\" is the whole answer. A list's elements are the "
          "items; an object is one item; null is no item.")
      .fallback("\"\"")
      .example("/incidents");
  s.field("key", config::Kind::String,
          "JSON pointer (within an item) to what identifies it, e.g. /id. Without it (or when an item lacks it) an "
          "item is known by its content: any change makes it a new item.")
      .example("/id");
  s.field("emit", config::Kind::String,
          "What is said: new (new items), new_and_changed (also items whose content changed), or document (the "
          "value at items, as one whole, when it changes).")
      .fallback("new")
      .one_of({"new", "new_and_changed", "document"});
  s.field("first_poll", config::Kind::String,
          "On the very first run (nothing remembered yet): baseline (remember what is there, say nothing) or "
          "emit (say it all).")
      .fallback("baseline")
      .one_of({"baseline", "emit"});
  s.field("remember", config::Kind::Integer,
          "Items remembered; beyond this, items no longer listed are forgotten, oldest first (a forgotten item that "
          "comes back is new again).")
      .fallback("10000")
      .range(1, 10000000);
  s.field("pagination", config::Kind::Map, "Several pages per run (see pagination below).").schema(pagination_schema());
  s.field("conditional", config::Kind::Boolean,
          "Send If-None-Match / If-Modified-Since with the ETag / Last-Modified of the last answer: a 304 means "
          "nothing changed (with pagination, the first page's answer stands for the listing).")
      .fallback("true");
  s.field("max_response", config::Kind::Size, "Largest answer read (after decompression); a larger one is an error.")
      .fallback("16MiB")
      .range(1024, 1024.0 * 1024 * 1024);
  s.field("ca_file", config::Kind::String, "PEM file of the CAs that may sign the server's certificate (https); "
                                           "the system's store by default.");
  s.field("tls_verify", config::Kind::Boolean,
          "Verify the server's certificate and name (https). false is for tests only: it is logged as a warning.")
      .fallback("true");
  add_poll_fields(s, "5m");
  payload::add_mapping_fields(s, kApiMappingKeys);
  return common_source_schema().merged(s, "api");
}

Result<ApiConfig> api_config(const config::Node& node) {
  ApiConfig c;
  c.name = node.str("name");
  auto url = parse_url(node.str("url"));
  if (!url) return std::unexpected(node["url"].error(url.error().message));
  auto query = pairs(node, "query", false);
  if (!query) return std::unexpected(query.error());
  auto headers = pairs(node, "headers", true);
  if (!headers) return std::unexpected(headers.error());
  c.request.method = node.str("method");
  c.request.url = with_query(std::move(*url), *query);
  c.request.headers = std::move(*headers);
  if (node.has("body")) {
    if (c.request.method == "GET") return std::unexpected(node["body"].error("a body goes with method: POST"));
    c.request.body = node.str("body");
  }
  c.request.content_type = node.str("content_type");
  if (!line_safe(c.request.content_type)) return std::unexpected(node["content_type"].error("may not hold a line break"));
  c.request.max_response = node.size("max_response");
  if (node.has("auth")) {
    auto auth = auth_from_config(node.map("auth"));
    if (!auth) return std::unexpected(auth.error());
    c.auth = std::move(*auth);
  }

  auto items = payload::compile_pointer(node.str("items"));
  if (!items) return std::unexpected(node["items"].error(items.error().message));
  c.diff.items_pointer = std::move(*items);
  auto key = optional_pointer(node, "key");
  if (!key) return std::unexpected(key.error());
  c.diff.key_pointer = std::move(*key);
  const auto emit = node.str("emit");
  c.diff.emit = emit == "document" ? EmitMode::Document : emit == "new_and_changed" ? EmitMode::NewAndChanged : EmitMode::New;
  c.diff.remember = static_cast<std::size_t>(node.integer("remember"));
  c.first_poll_emits = node.str("first_poll") == "emit";

  if (node.has("pagination")) {
    if (c.diff.emit == EmitMode::Document)
      return std::unexpected(node["pagination"].error("emit: document watches one answer; pagination is for lists"));
    auto p = pagination_from(node.map("pagination"));
    if (!p) return std::unexpected(p.error());
    c.diff.next_pointer = p->next_pointer;
    c.pagination = std::move(*p);
  }
  c.conditional = node.boolean("conditional");
  c.tls.verify = node.boolean("tls_verify");
  if (node.has("ca_file")) {
    c.tls.ca_file = node.str("ca_file");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(c.tls.ca_file, ec))
      return std::unexpected(node["ca_file"].error("no such file: " + c.tls.ca_file));
  }
  c.poll = poll_options(node);
  return c;
}

}  // namespace chatops::ingestion::api
