#include "ingestion/api/api_source.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ingestion/api/headers.hpp"
#include "ingestion/api/item_event.hpp"
#include "ingestion/api/status.hpp"

namespace chatops::ingestion::api {

namespace {

// The source's own keys in its state, besides kItemPrefix + item key.
constexpr std::string_view kEtag = "meta:etag", kLastModified = "meta:last_modified", kPrimed = "meta:primed",
                           kShape = "meta:shape";

// A parser that grew past this for a large answer is dropped after the run: it would hold the memory.
constexpr std::size_t kKeptParserCapacity = 1024 * 1024;

std::string shape_of(const ApiConfig& c) {
  const auto emit = std::to_string(static_cast<int>(c.diff.emit));
  return std::to_string(content_hash(c.request.url.text() + '\n' + c.request.body + '\n' + c.diff.items_pointer + '\n' +
                                     c.diff.key_pointer.value_or("(content)") + '\n' + emit));
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

ApiSource::ApiSource(ApiConfig config, payload::Mapping mapping)
    : PollingSource(config.poll),
      config_(std::move(config)),
      mapping_(std::move(mapping)),
      shape_(shape_of(config_)),
      http_(config_.tls, "chatops-bot", [this] { return stopping(); }),
      auth_(config_.auth) {}

ApiSource::~ApiSource() { stop(); }

SourceResult<> ApiSource::open() {
  responses_ = runtime().metrics().counter("chatops_api_responses_total", "Answers of polled APIs, by HTTP status.",
                                           {"status"});
  auto state = runtime().list_state();
  if (!state) return std::unexpected(SourceError::transient("reading what was seen: " + state.error().message));
  seen_.items.clear();
  etag_.reset();
  last_modified_.reset();
  primed_ = false;
  stale_.clear();
  std::optional<std::string> shape;
  for (auto& [key, value] : *state) {
    if (key.starts_with(kItemPrefix)) {
      if (const auto item = parse_item_state(value)) seen_.items.emplace(key.substr(kItemPrefix.size()), *item);
      stale_.push_back(key);
    } else if (key == kEtag) etag_ = std::move(value);
    else if (key == kLastModified) last_modified_ = std::move(value);
    else if (key == kPrimed) primed_ = true;
    else if (key == kShape) shape = std::move(value);
  }
  if (!shape || *shape == shape_) {
    stale_.clear();
    return {};
  }
  // Another URL, items or key than what was remembered: start afresh, as on a first run.
  stale_.emplace_back(kEtag);
  stale_.emplace_back(kLastModified);
  spdlog::info("source {}: its url, items, key or emit changed: what was seen is forgotten and the first run is a {}",
               runtime().name(), config_.first_poll_emits ? "full emit" : "baseline");
  seen_.items.clear();
  etag_.reset();
  last_modified_.reset();
  primed_ = false;
  return {};
}

void ApiSource::interrupt() { http_.interrupt(); }

SourceResult<HttpResponse> ApiSource::ask(const HttpRequest& request, std::chrono::steady_clock::time_point deadline) {
  for (int attempt = 0;; ++attempt) {
    auto credentials = auth_.credentials(http_, deadline);
    if (!credentials) return std::unexpected(credentials.error());
    HttpRequest r = request;
    r.url = with_query(request.url, credentials->query);
    r.headers.insert(r.headers.end(), credentials->headers.begin(), credentials->headers.end());
    auto answer = http_.send(r, deadline);
    if (!answer) {
      if (!stopping()) responses_.inc({"error"});
      return answer;
    }
    responses_.inc({std::to_string(answer->status)});
    if (answer->status == 401 && auth_.renews_tokens() && attempt == 0) {
      spdlog::info("source {}: 401 with an OAuth2 token: asking for a new one", runtime().name());
      auth_.drop_token();
      continue;
    }
    if (auto refused = refusal(*answer, request.url.display())) return std::unexpected(*refused);
    return answer;
  }
}

SourceResult<std::optional<Url>> ApiSource::next_page(const Url& current, const HttpResponse& answer,
                                                      const PageScan& scan) const {
  if (!config_.pagination) return std::nullopt;
  const auto& p = *config_.pagination;
  std::optional<std::string> reference;
  if (p.next_pointer && scan.next) {
    if (!p.cursor_param.empty()) return with_query(config_.request.url, {{p.cursor_param, *scan.next}});
    reference = scan.next;
  } else if (p.link_header) {
    if (const auto link = answer.header("Link")) reference = link_next(*link);
  }
  if (!reference) return std::nullopt;
  const auto next = resolve(current, *reference);
  if (!next) return std::unexpected(SourceError::transient(current.display() + " points to a next page that is not a URL"));
  if (next->origin() != config_.request.url.origin())
    return std::unexpected(SourceError::configuration(
        current.display() + " points to a next page on another server (" + next->display() +
        "): not followed with the source's credentials"));
  return next;
}

std::vector<IngestionEvent> ApiSource::events(const Differ& differ) {
  std::vector<IngestionEvent> out;
  out.reserve(differ.found().size());
  const ItemContext context{mapping_, runtime().name(), config_.diff.emit, config_.request.url.display()};
  for (const auto& item : differ.found()) {
    auto e = item_event(item, context);
    if (!e) {
      ++runtime().status().failed;
      runtime().status().set_error("item " + item.key + " of " + context.url + ": " + e.error());
      continue;
    }
    out.push_back(std::move(*e));
  }
  return out;
}

std::vector<StateChange> ApiSource::meta_changes(const std::optional<std::string>& etag,
                                                 const std::optional<std::string>& last_modified) const {
  std::vector<StateChange> changes;
  for (const auto& key : stale_) changes.push_back({key, std::nullopt});
  if (etag != etag_) changes.push_back({std::string(kEtag), etag});
  if (last_modified != last_modified_) changes.push_back({std::string(kLastModified), last_modified});
  if (!primed_) {
    changes.push_back({std::string(kPrimed), "1"});
    changes.push_back({std::string(kShape), shape_});
  }
  return changes;
}

SourceResult<> ApiSource::poll(std::chrono::steady_clock::time_point deadline) {
  auto& status = runtime().status();
  DiffOptions options = config_.diff;
  options.announce = primed_ || config_.first_poll_emits;
  Differ differ(options, seen_, parser_, unix_now());

  HttpRequest request = config_.request;
  if (config_.conditional && primed_) {
    if (etag_) request.headers.emplace_back("If-None-Match", *etag_);
    if (last_modified_) request.headers.emplace_back("If-Modified-Since", *last_modified_);
  }
  auto answer = ask(request, deadline);
  if (!answer) return std::unexpected(answer.error());
  if (answer->status == 304) return {};  // nothing changed
  // Validators are kept only for a listing read whole and committed.
  const auto etag = answer->header("ETag"), last_modified = answer->header("Last-Modified");

  Url page = request.url;
  std::vector<std::string> visited{page.text()};
  for (int pages = 1;; ++pages) {
    auto scan = differ.observe(answer->body);
    if (!scan) return std::unexpected(SourceError::transient("the answer from " + page.display() +
                                                             " cannot be read: " + scan.error()));
    auto next = next_page(page, *answer, *scan);
    if (!next) return std::unexpected(next.error());
    if (!*next || std::ranges::find(visited, (*next)->text()) != visited.end()) break;
    if (pages == config_.pagination->max_pages) {
      spdlog::debug("source {}: stopped at max_pages ({})", runtime().name(), pages);
      break;
    }
    page = std::move(**next);
    visited.push_back(page.text());
    request = config_.request;
    request.url = page;
    answer = ask(request, deadline);
    if (!answer) return std::unexpected(answer.error());
    if (answer->status == 304)
      return std::unexpected(SourceError::transient(page.display() + " answered 304 to an unconditional request"));
  }

  status.consumed += differ.listed();
  auto events = this->events(differ);
  auto state = differ.state_changes();
  auto meta = meta_changes(etag, last_modified);
  state.insert(state.end(), std::make_move_iterator(meta.begin()), std::make_move_iterator(meta.end()));
  const auto found = differ.found().size();
  if (parser_.capacity() > kKeptParserCapacity) parser_ = simdjson::ondemand::parser{};
  if (!events.empty() || !state.empty()) {
    const auto result = runtime().submit_and_wait(std::move(events), std::nullopt, std::move(state));
    if (!result.committed()) return std::unexpected(SourceError::transient("the journal refused the run's items: " + result.error));
    const auto accepted = result.count(Submission::Accepted), duplicates = result.count(Submission::Duplicate);
    status.processed += accepted;
    status.committed += accepted + duplicates;
    status.skipped += duplicates;
  }
  status.skipped += differ.listed() - found;
  differ.commit();
  etag_ = etag;
  last_modified_ = last_modified;
  primed_ = true;
  stale_.clear();
  if (found > 0) spdlog::debug("source {}: {} listed, {} to say", runtime().name(), differ.listed(), found);
  return {};
}

namespace {

Result<config::Node> validate_api_source(const config::Node& raw) {
  auto validated = config::validate(api_source_schema(), raw);
  if (!validated) return validated;
  // Everything else is checked now, so that a mistake stops start-up with its line.
  auto config = api_config(*validated);
  if (!config) return std::unexpected(config.error());
  auto mapping = payload::Mapping::from_config(*validated, kApiMappingKeys);
  if (!mapping) return std::unexpected(mapping.error());
  return validated;
}

Result<std::unique_ptr<IngestionSource>> make_api_source(const config::Node& validated, SourceServices&) {
  auto config = api_config(validated);
  if (!config) return std::unexpected(config.error());
  if (auto loaded = load_http_client_module(); !loaded)
    return std::unexpected(validated["kind"].error(loaded.error().message));
  auto mapping = payload::Mapping::from_config(validated, kApiMappingKeys);
  if (!mapping) return std::unexpected(mapping.error());
  if (!config->tls.verify && config->request.url.scheme == "https")
    spdlog::warn("source {}: tls_verify is false: the certificate of {} is not checked", config->name,
                 config->request.url.host);
  return std::make_unique<ApiSource>(std::move(*config), std::move(*mapping));
}

}  // namespace

SourceKind api_source_kind() {
  return {
      .name = "api",
      .family = "api",
      .doc = "A REST API polled at intervals: new (or changed) items of a JSON listing, or a document that changes, "
             "said once each.",
      .validate = validate_api_source,
      .make = make_api_source,
      .schemas = [] { return std::vector<config::Schema>{api_source_schema(), auth_schema(), pagination_schema()}; },
  };
}

}  // namespace chatops::ingestion::api
